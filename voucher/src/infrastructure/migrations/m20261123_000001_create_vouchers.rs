use checkout_domain::MAX_TEXT_CHARS;
use sea_orm_migration::prelude::*;

use crate::application::domain::{VOUCHER_CODE_LEN, VoucherStatus};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The limits come from the domain, as they were when this migration was written;
        // changing one later takes a new migration.
        let statuses = VoucherStatus::ALL.map(|s| format!("'{}'", s.as_str())).join(", ");
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"
                CREATE TABLE vouchers (
                    id           uuid PRIMARY KEY,
                    -- Grouped Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT.
                    code         varchar({VOUCHER_CODE_LEN}) NOT NULL CONSTRAINT vouchers_code_key UNIQUE,
                    customer_id  varchar({MAX_TEXT_CHARS}) NOT NULL,
                    -- One voucher per order: a redelivered order.sent event hits this
                    -- constraint and is absorbed instead of issuing a second voucher.
                    order_id     uuid NOT NULL CONSTRAINT vouchers_order_id_key UNIQUE,
                    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
                    currency     char(3) NOT NULL,
                    status       varchar(16) NOT NULL CHECK (status IN ({statuses})),
                    issued_at    timestamptz NOT NULL,
                    redeemed_at  timestamptz,
                    CHECK ((status = 'redeemed') = (redeemed_at IS NOT NULL))
                );
                CREATE INDEX vouchers_customer_id_idx ON vouchers (customer_id, id);
                "#
            ))
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
