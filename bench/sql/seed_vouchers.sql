-- The vouchers bench/lua/post_order.lua spends, as both services would hold them:
-- for each phase (1 warm-up, 2 measured), wrk thread and request number up to :pool, the
-- code the script sends and its customer, with the same voucher id in both databases.
-- Run with -v pool=N -v db=orders (the order service's copy) or -v db=vouchers.
CREATE TEMP TABLE seed AS
SELECT md5('vbench-voucher-' || raw)::uuid AS id,
       md5('vbench-order-' || raw)::uuid AS order_id,
       format('%s-%s-%s-%s', substr(raw, 1, 4), substr(raw, 5, 4), substr(raw, 9, 4), substr(raw, 13, 4)) AS code,
       'vbench-' || t || '-' || n AS customer_id
FROM generate_series(1, 2) p, generate_series(0, 1) t, generate_series(1, :pool) n,
     LATERAL (SELECT p::text || t::text || lpad(n::text, 14, '0') AS raw) r;
SELECT :'db' = 'orders' AS for_orders \gset
\if :for_orders
INSERT INTO vouchers (id, code_digest, customer_id, amount_cents, currency, issued_at, expires_at)
SELECT id, encode(sha256(convert_to(code, 'UTF8')), 'hex'), customer_id, 500, 'EUR', now(), now() + interval '90 days'
FROM seed;
\else
INSERT INTO vouchers (id, code, customer_id, order_id, amount_cents, currency, issued_at, expires_at)
SELECT id, code, customer_id, order_id, 500, 'EUR', now(), now() + interval '90 days' FROM seed;
\endif
ANALYZE vouchers;
