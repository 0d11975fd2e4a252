-- pgbench script: the SQL the system runs for one order that is marked sent and earns a
-- voucher, including its share of the outbox relay's work.
--
-- Needs -D k=0 -D nclients=N -D relay_every=B. Client c handles pool orders c, c+N, c+2N, ...
-- (see ceiling_pool.sql) and runs one relay round (claim + mark) every B of its orders. With
-- N clients that is one round per B orders overall, so rounds claim about B rows each: bench/run
-- sets B to the mean batch the service's relay actually claimed in the end-to-end run, so the
-- relay statements are amortized over the same batch size. Sharing the relay between clients
-- keeps the backlog (and with it the cost of the claim) small, so this is a sustainable rate.

\set n :client_id + :nclients * :k
\set k :k + 1

-- 1. ChangeOrderStatus reads the order by id (sea-orm: every column, LIMIT 1). The
--    ids/code/payload the service computes in Rust are computed here in the same round trip.
SELECT o."id", o."customer_id", o."items", o."total_cents", o."currency", o."status", o."created_at", o."updated_at",
       x.eid, x.vid, x.code, x.veid,
       jsonb_build_object('event_id', x.veid, 'event_type', 'voucher.issued', 'schema_version', 1,
                          'occurred_at', now(), 'voucher_id', x.vid,
                          'code_digest', encode(sha256(convert_to(x.code, 'UTF8')), 'hex'),
                          'customer_id', o.customer_id, 'amount_cents', 500, 'currency', 'EUR',
                          'expires_at', now() + interval '90 days', 'order_id', o.id)::text AS vpayload,
       jsonb_build_object('event_id', x.eid, 'event_type', 'order.sent', 'schema_version', 1,
                          'occurred_at', now(), 'order_id', o.id, 'customer_id', o.customer_id,
                          'total_cents', o.total_cents, 'currency', 'EUR')::text AS payload
FROM "orders" o,
     LATERAL (SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid AS eid,
                     (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid AS vid,
                     (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid AS veid,
                     regexp_replace(upper(substr(md5(random()::text), 1, 16)), '(....)(....)(....)(....)', '\1-\2-\3-\4') AS code) x
WHERE o."id" = ('00000000-0000-7000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid
LIMIT 1 \gset o_

-- 2. SeaOrmOrderRepository::update_status: compare-and-set + outbox row as ONE statement,
--    verbatim the service's status_change() since commit a06a220 ("one round trip instead of
--    four"). Builds before that send BEGIN; UPDATE; INSERT; COMMIT instead: the same rows
--    and one commit either way, so this cheaper form keeps the ceiling an upper bound for both.
WITH updated AS (UPDATE orders SET status = 'sent', updated_at = now() WHERE id = :o_id AND status = 'created' RETURNING id)
INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
SELECT v.id, v.aggregate_id, v.event_type, v.payload, v.created_at, v.created_at
FROM updated, (VALUES (:o_eid::uuid, :o_id::uuid, 'order.sent', :o_payload::jsonb, now()::timestamptz)) AS v(id, aggregate_id, event_type, payload, created_at)
RETURNING id;

-- 3. The relay (SeaOrmOutboxRepository), every relay_every-th order of this client. The claim
--    is the service's CLAIM_DUE verbatim (batch 100, lease 30 s), wrapped only to get the
--    count and the lease it set. The lease (now() + 30 s) is unique to the claiming
--    transaction, so marking by it marks exactly the claimed rows, as the service's
--    "id IN (...)" does.
\if :k % :relay_every = 0
WITH claimed AS (
UPDATE outbox
SET attempts = attempts + 1,
    next_attempt_at = now() + make_interval(secs => 30)
WHERE id IN (
    SELECT id FROM outbox
    WHERE published_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT 100
    FOR UPDATE SKIP LOCKED
)
RETURNING *
) SELECT count(*) AS claimed, max(next_attempt_at) AS lease FROM claimed \gset r_
\if :r_claimed > 0
UPDATE "outbox" SET "published_at" = CURRENT_TIMESTAMP WHERE "outbox"."published_at" IS NULL AND "outbox"."next_attempt_at" = :r_lease;
\endif
\endif

-- 4. SeaOrmVoucherRepository::insert: the voucher and its voucher.issued outbox row in one
--    statement, as new_vouchers.rs does (the voucher table lives in the same database here,
--    and its events share the outbox with order.sent, so the relay rounds above claim both).
--    The order service's copy of the voucher (one more INSERT in its database) is left out:
--    without it the ceiling is higher, so it stays an upper bound.
WITH inserted AS (
    INSERT INTO "vouchers" ("id", "code", "customer_id", "order_id", "amount_cents", "currency", "issued_at", "expires_at")
    VALUES (:o_vid, :o_code, :o_customer_id, :o_id, 500, 'EUR', now(), now() + interval '90 days')
    ON CONFLICT ("order_id") DO NOTHING
    RETURNING id
)
INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
SELECT :o_veid::uuid, id, 'voucher.issued', :o_vpayload::jsonb, now(), now() FROM inserted;
