use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                -- The catalog: the shop's products and their prices. Orders copy a product's
                -- name and price onto their lines, so nothing here changes an order.
                CREATE TABLE products (
                    sku              varchar(64) PRIMARY KEY,
                    name             varchar(64) NOT NULL,
                    unit_price_cents bigint NOT NULL
                        CHECK (unit_price_cents BETWEEN 1 AND 100000000),
                    currency         char(3) NOT NULL CHECK (currency = 'EUR'),
                    active           boolean NOT NULL,
                    updated_at       timestamptz NOT NULL
                );
                CREATE INDEX products_active_sku ON products (active, sku);

                -- One row, bumped in the same transaction as every change of the catalog:
                -- its row lock orders the writers, and a replica that reads a new version
                -- reloads the catalog and sees every change up to it.
                CREATE TABLE catalog_version (
                    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
                    version bigint NOT NULL
                );
                INSERT INTO catalog_version (id, version) VALUES (true, 0);
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE catalog_version; DROP TABLE products;")
            .await?;
        Ok(())
    }
}
