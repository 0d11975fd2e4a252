use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A voucher's history: what each order did with it (reserved at checkout, released when the
/// order was cancelled, redeemed when it was sent), as the order service's events told it.
/// One row per voucher, kind and order, so a redelivered event adds nothing; the status is
/// derived from these rows, whatever order they arrived in. Redemptions made before
/// redemption went through orders (the retired `POST /vouchers/{code}/redeem`) become rows
/// of the nil order; the columns that held them go.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                CREATE TABLE voucher_usages (
                    voucher_id  uuid NOT NULL REFERENCES vouchers (id),
                    kind        varchar(16) NOT NULL CHECK (kind IN ('reserved', 'released', 'redeemed')),
                    order_id    uuid NOT NULL,
                    -- When it happened at the order service, and when it was heard here.
                    occurred_at timestamptz NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (voucher_id, kind, order_id)
                );
                INSERT INTO voucher_usages (voucher_id, kind, order_id, occurred_at)
                SELECT id, 'redeemed', '00000000-0000-0000-0000-000000000000', redeemed_at
                FROM vouchers WHERE status = 'redeemed';
                ALTER TABLE vouchers DROP COLUMN status, DROP COLUMN redeemed_at;
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                ALTER TABLE vouchers
                    ADD COLUMN status varchar(16) NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'redeemed')),
                    ADD COLUMN redeemed_at timestamptz;
                UPDATE vouchers v SET status = 'redeemed', redeemed_at = u.occurred_at
                FROM voucher_usages u WHERE u.voucher_id = v.id AND u.kind = 'redeemed';
                ALTER TABLE vouchers ADD CHECK ((status = 'redeemed') = (redeemed_at IS NOT NULL));
                DROP TABLE voucher_usages;
                "#,
            )
            .await?;
        Ok(())
    }
}
