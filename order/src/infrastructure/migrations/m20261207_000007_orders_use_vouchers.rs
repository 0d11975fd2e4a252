use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An order may use a voucher: which one, and what it took off. Each voucher of the copy
/// records when it became known here (`known_at`): from its `issued_at`, the projection lag.
/// Its digest becomes `varchar(64)`: compared with a text parameter, a `char(64)` column is
/// cast to text and its index is not used, so each checkout read the whole table. Holds
/// update a voucher's row; a fill factor of 80 keeps room for the new version on its page
/// (HOT updates, no new index entries). `total_cents` stays what the
/// customer pays (the items' sum less `discount_cents`); every earlier order used none. Only
/// one order that is not cancelled can ever have a voucher: the hold on `vouchers` makes sure
/// of it, and this index would refuse a defect that did not.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                ALTER TABLE orders
                    ADD COLUMN voucher_id uuid REFERENCES vouchers (id),
                    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
                    ADD CONSTRAINT orders_discount_needs_a_voucher
                        CHECK (voucher_id IS NOT NULL OR discount_cents = 0);
                ALTER TABLE vouchers SET (fillfactor = 80);
                ALTER TABLE vouchers
                    ADD COLUMN known_at timestamptz NOT NULL DEFAULT now(),
                    ALTER COLUMN code_digest TYPE varchar(64);
                CREATE UNIQUE INDEX orders_one_live_order_per_voucher
                    ON orders (voucher_id) WHERE voucher_id IS NOT NULL AND status <> 'cancelled';
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX orders_one_live_order_per_voucher; ALTER TABLE vouchers DROP COLUMN known_at, ALTER COLUMN code_digest TYPE char(64); \
                 ALTER TABLE vouchers RESET (fillfactor); \
                 ALTER TABLE orders DROP CONSTRAINT orders_discount_needs_a_voucher, \
                 DROP COLUMN discount_cents, DROP COLUMN voucher_id",
            )
            .await?;
        Ok(())
    }
}
