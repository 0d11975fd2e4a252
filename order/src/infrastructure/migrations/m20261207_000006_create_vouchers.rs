use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The order service's copy of the vouchers, from `voucher.issued`: what checkout needs to
/// accept a code (known by its digest, never the code itself), and which order holds each.
/// The limits are written out as they were (MAX_TEXT_CHARS = 64, a SHA-256 in hex).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                CREATE TABLE vouchers (
                    id           uuid PRIMARY KEY,
                    code_digest  char(64) NOT NULL CONSTRAINT vouchers_code_digest_key UNIQUE
                                 CHECK (code_digest ~ '^[0-9a-f]{64}$'),
                    customer_id  varchar(64) NOT NULL,
                    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
                    currency     char(3) NOT NULL,
                    issued_at    timestamptz NOT NULL,
                    expires_at   timestamptz NOT NULL CHECK (expires_at > issued_at),
                    -- The order that took it at checkout: open (reserved), or sent (redeemed);
                    -- NULL while it is free. One order at a time, by construction.
                    held_by      uuid,
                    redeemed     boolean NOT NULL DEFAULT false,
                    CHECK (NOT redeemed OR held_by IS NOT NULL)
                );
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE vouchers")
            .await?;
        Ok(())
    }
}
