use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Vouchers get an expiry and an outbox: each voucher is announced to the order service
/// (`voucher.issued`, written out as it was at schema version 1) in the transaction that
/// stores it. The vouchers already there expire 90 days (the default validity then) after
/// they were issued, and the active ones are announced by this migration.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                ALTER TABLE vouchers ADD COLUMN expires_at timestamptz;
                UPDATE vouchers SET expires_at = issued_at + interval '90 days';
                ALTER TABLE vouchers
                    ALTER COLUMN expires_at SET NOT NULL,
                    ADD CONSTRAINT vouchers_expire_after_issue CHECK (expires_at > issued_at);

                CREATE TABLE outbox (
                    id              uuid PRIMARY KEY,
                    aggregate_id    uuid NOT NULL,
                    event_type      varchar(64) NOT NULL,
                    payload         jsonb NOT NULL,
                    created_at      timestamptz NOT NULL DEFAULT now(),
                    attempts        integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    published_at    timestamptz
                );
                -- A voucher is issued once, so it has at most one event of each type.
                CREATE UNIQUE INDEX outbox_aggregate_event_idx ON outbox (aggregate_id, event_type);
                CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE published_at IS NULL;

                INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
                SELECT e.id, v.id, 'voucher.issued',
                       jsonb_build_object(
                           'event_id', e.id, 'event_type', 'voucher.issued', 'schema_version', 1,
                           'occurred_at', v.issued_at, 'voucher_id', v.id,
                           'code_digest', encode(sha256(convert_to(v.code, 'UTF8')), 'hex'),
                           'customer_id', v.customer_id, 'amount_cents', v.amount_cents,
                           'currency', v.currency, 'expires_at', v.expires_at, 'order_id', v.order_id),
                       now(), now()
                FROM vouchers v CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id) e
                WHERE v.status = 'active';
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TABLE outbox; ALTER TABLE vouchers DROP CONSTRAINT vouchers_expire_after_issue, DROP COLUMN expires_at",
            )
            .await?;
        Ok(())
    }
}
