use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The domain's limits written out as they were (MAX_TEXT_CHARS = 64, OrderStatus::ALL):
        // an applied migration must not change meaning when a constant changes.
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                CREATE TABLE orders (
                    id          uuid PRIMARY KEY,
                    customer_id varchar(64) NOT NULL,
                    items       jsonb NOT NULL,
                    total_cents bigint NOT NULL CHECK (total_cents >= 0),
                    currency    char(3) NOT NULL,
                    status      varchar(16) NOT NULL
                                CHECK (status IN ('created', 'sent', 'delivered', 'cancelled')),
                    created_at  timestamptz NOT NULL,
                    updated_at  timestamptz NOT NULL
                );
                -- Ids are UUIDv7 (time-ordered): listing newest first is a backward index scan.
                CREATE INDEX orders_customer_id_idx ON orders (customer_id, id);
                CREATE INDEX orders_status_idx ON orders (status, id);
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE orders").await?;
        Ok(())
    }
}
