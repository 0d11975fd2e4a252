use checkout_domain::MAX_TEXT_CHARS;
use sea_orm_migration::prelude::*;

use crate::application::domain::OrderStatus;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The limits come from the domain, as they were when this migration was written;
        // changing one later takes a new migration.
        let statuses = OrderStatus::ALL.map(|s| format!("'{s}'")).join(", ");
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"
                CREATE TABLE orders (
                    id          uuid PRIMARY KEY,
                    customer_id varchar({MAX_TEXT_CHARS}) NOT NULL,
                    items       jsonb NOT NULL,
                    total_cents bigint NOT NULL CHECK (total_cents >= 0),
                    currency    char(3) NOT NULL,
                    status      varchar(16) NOT NULL
                                CHECK (status IN ({statuses})),
                    created_at  timestamptz NOT NULL,
                    updated_at  timestamptz NOT NULL
                );
                -- Ids are UUIDv7 (time-ordered): listing newest first is a backward index scan.
                CREATE INDEX orders_customer_id_idx ON orders (customer_id, id);
                CREATE INDEX orders_status_idx ON orders (status, id);
                "#
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE orders").await?;
        Ok(())
    }
}
