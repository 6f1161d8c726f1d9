-- First run (tests/wasi_sqlite.rs): creates the database from nothing.
-- Every result row goes to stdout (`|`-separated) and is checked against
-- create.expected. The values are all integers or text (REAL results are
-- formatted with printf) so any correct SQL engine prints the same.
PRAGMA page_size = 4096;
PRAGMA journal_mode = DELETE;

CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  city TEXT NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  product_id INTEGER NOT NULL REFERENCES products (id),
  quantity INTEGER NOT NULL,
  day INTEGER NOT NULL
);
CREATE TABLE audit (event TEXT NOT NULL, order_id INTEGER NOT NULL);

-- Orders of nine or more units are logged.
CREATE TRIGGER big_orders AFTER INSERT ON orders WHEN NEW.quantity >= 9
BEGIN
  INSERT INTO audit VALUES ('big order', NEW.id);
END;

-- A few thousand rows in one transaction, from recursive CTEs.
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO customers
  SELECT i, printf('customer-%03d', i),
         CASE i % 5 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lima' WHEN 2 THEN 'Pune'
                    WHEN 3 THEN 'Kyiv' ELSE 'Cork' END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO products
  SELECT i, 'product-' || char(64 + (i - 1) % 26 + 1) || i, 100 + (i * 37) % 900
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO orders
  SELECT i, 1 + (i * i) % 199, 1 + (i * i * 7 + i / 3) % 50, 1 + (i * 7 + i / 7) % 10,
         (i * 13 + i / 50) % 365
  FROM n;
COMMIT;

CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE INDEX orders_by_product_day ON orders (product_id, day);
CREATE VIEW revenue AS
  SELECT c.city AS city, o.day AS day, o.quantity * p.price_cents AS cents
  FROM orders AS o
  JOIN customers AS c ON c.id = o.customer_id
  JOIN products AS p ON p.id = o.product_id;

SELECT 'totals', count(*), sum(quantity), min(day), max(day) FROM orders;
SELECT 'audited', count(*), min(order_id), max(order_id) FROM audit;

-- Aggregates over a join of three tables through the view.
SELECT city, count(*), sum(cents), printf('%.2f', avg(cents) / 100.0)
FROM revenue GROUP BY city ORDER BY sum(cents) DESC;

-- The best sellers.
SELECT p.name, sum(o.quantity) AS units, count(DISTINCT o.customer_id)
FROM orders AS o JOIN products AS p ON p.id = o.product_id
GROUP BY p.id ORDER BY units DESC, p.name LIMIT 5;

-- Customers with a HAVING filter, through the customer index.
SELECT c.name, count(*) AS n, max(o.quantity)
FROM customers AS c JOIN orders AS o ON o.customer_id = c.id
WHERE c.city = 'Kyiv'
GROUP BY c.id HAVING n >= 26 ORDER BY n DESC, c.name LIMIT 4;

-- Text functions.
SELECT upper(name), length(name), substr(name, 10), replace(name, '-', '_'),
       instr(name, '4'), hex(substr(name, 1, 3)), trim('  x  ') || '.'
FROM customers WHERE id IN (1, 42, 200) ORDER BY id;
SELECT group_concat(id, ',') FROM (SELECT id FROM customers WHERE city = 'Lima' ORDER BY id LIMIT 8);
SELECT printf('%5d|%-6s|%08.3f|%x|%q', 42, 'ab', 3.14159, 255, 'it''s');

-- A window function over the daily revenue.
SELECT day, cents, sum(cents) OVER (ORDER BY day ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
FROM (SELECT day, sum(cents) AS cents FROM revenue GROUP BY day)
ORDER BY day LIMIT 5;

-- A rolled back transaction and savepoint leave nothing behind.
BEGIN;
DELETE FROM orders WHERE day < 300;
SELECT 'inside', count(*) FROM orders;
ROLLBACK;
SELECT 'after rollback', count(*) FROM orders;
SAVEPOINT bump;
UPDATE products SET price_cents = price_cents * 2;
ROLLBACK TO bump;
RELEASE bump;
SELECT 'prices', sum(price_cents) FROM products;

SELECT type, name FROM sqlite_schema ORDER BY type, name;
PRAGMA integrity_check;
