-- pgbench script: the SQL of one POST /orders (CreateOrder -> SeaOrmOrderRepository::insert),
-- one autocommit INSERT with the items as jsonb. The id imitates a UUIDv7 (millisecond
-- timestamp first) so that the primary-key index sees the same append-at-the-end pattern.
\set c random(0, 999)
INSERT INTO "orders" ("id", "customer_id", "items", "total_cents", "currency", "status", "created_at", "updated_at")
VALUES ((lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid,
        'ceiling-' || :client_id || '-' || :c,
        '[{"sku": "BENCH-1", "name": "Bench product", "quantity": 1, "unit_price_cents": 12000}]',
        12000, 'EUR', 'created', now(), now());
