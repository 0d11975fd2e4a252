-- Orders for the "sent" ceiling to move to sent, with ids derived from a number so that a
-- pgbench client can address order n without a lookup table (see ceiling_sent.sql).
-- psql variable: pool (how many).
INSERT INTO orders (id, customer_id, items, total_cents, currency, status, created_at, updated_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       'pool-' || (n % 1000),
       '[{"sku": "BENCH-1", "name": "Bench product", "quantity": 1, "unit_price_cents": 12000}]',
       12000, 'EUR', 'created', now(), now()
FROM generate_series(0, :pool - 1) AS n;
