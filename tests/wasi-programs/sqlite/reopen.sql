-- Last run (tests/wasi_sqlite.rs), in a new process on the database file
-- create.sql and error.sql left: what they committed must be there, and
-- this run's changes go through a rollback journal truncated instead of
-- deleted (left behind empty). Checked against reopen.expected.
PRAGMA journal_mode = TRUNCATE;
SELECT 'persisted', (SELECT count(*) FROM customers), (SELECT count(*) FROM products),
       (SELECT count(*) FROM orders), (SELECT count(*) FROM audit);
SELECT 'prices', sum(price_cents) FROM products;
SELECT id, name, price_cents FROM products WHERE id > 49 ORDER BY id;

-- New orders fire the trigger created by the first run.
BEGIN;
INSERT INTO orders (customer_id, product_id, quantity, day)
  VALUES (7, 3, 12, 365), (8, 4, 2, 365), (9, 5, 9, 365);
COMMIT;
SELECT 'new orders', count(*), max(id) FROM orders WHERE day = 365;
SELECT event, order_id FROM audit ORDER BY order_id DESC LIMIT 3;

-- An upsert and an UPDATE ... FROM.
INSERT INTO products (id, name, price_cents) VALUES (3, 'renamed', 1)
  ON CONFLICT (id) DO UPDATE SET price_cents = excluded.price_cents + products.price_cents;
UPDATE customers SET city = 'Riga'
  FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING sum(quantity) > 250) AS busy
  WHERE customers.id = busy.customer_id;
SELECT city, count(*) FROM customers GROUP BY city ORDER BY city;
SELECT id, name, price_cents FROM products WHERE id IN (3, 4) ORDER BY id;

-- Dates and JSON.
SELECT date('2024-01-01', '+' || max(day) || ' days'), strftime('%j', '2024-12-30') FROM orders;
SELECT json_object('city', city, 'orders', n)
FROM (SELECT city, count(*) AS n FROM revenue GROUP BY city) ORDER BY n DESC LIMIT 2;
SELECT json_extract('{"a": [1, 2, {"b": "deep"}]}', '$.a[2].b'), json_array_length('[1, 2, 3]');

-- Delete most of it, then rebuild the file with VACUUM.
DELETE FROM orders WHERE day >= 30;
SELECT 'left', count(*), sum(quantity) FROM orders;
VACUUM;
PRAGMA page_size;
PRAGMA integrity_check;
SELECT city, count(*), sum(cents) FROM revenue GROUP BY city ORDER BY city;
