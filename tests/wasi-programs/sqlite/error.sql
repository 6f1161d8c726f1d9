-- Second run (tests/wasi_sqlite.rs): the driver prints the rows before the
-- failing statement, reports it on stderr with its line and exits 1. What
-- ran before it stays (each statement commits on its own); the failed one
-- changes nothing (reopen.sql looks).
SELECT 'before', count(*) FROM products;
INSERT INTO products (id, name, price_cents) VALUES (51, 'fine', 10);
INSERT INTO products (id, name, price_cents) VALUES (52, 'product-A1', 10);
SELECT 'never printed';
