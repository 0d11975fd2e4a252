use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The domain's limits written out as they were (VOUCHER_CODE_LEN = 19, MAX_TEXT_CHARS =
        // 64, VoucherStatus::ALL): an applied migration must not change meaning when a constant changes.
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                CREATE TABLE vouchers (
                    id           uuid PRIMARY KEY,
                    -- Grouped Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT.
                    code         varchar(19) NOT NULL CONSTRAINT vouchers_code_key UNIQUE,
                    customer_id  varchar(64) NOT NULL,
                    -- One voucher per order: a redelivered order.sent event hits this
                    -- constraint and is absorbed instead of issuing a second voucher.
                    order_id     uuid NOT NULL CONSTRAINT vouchers_order_id_key UNIQUE,
                    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
                    currency     char(3) NOT NULL,
                    status       varchar(16) NOT NULL CHECK (status IN ('active', 'redeemed')),
                    issued_at    timestamptz NOT NULL,
                    redeemed_at  timestamptz,
                    CHECK ((status = 'redeemed') = (redeemed_at IS NOT NULL))
                );
                CREATE INDEX vouchers_customer_id_idx ON vouchers (customer_id, id);
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
