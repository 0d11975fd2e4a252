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
                -- Idempotency-Key of POST /orders. A row is claimed (order_snapshot NULL,
                -- locked_until in the future) before the order is created and completed in
                -- the order's own transaction; a claim whose holder died expires with its lock.
                CREATE TABLE idempotency_keys (
                    key            varchar(255) PRIMARY KEY,
                    fingerprint    text NOT NULL,
                    order_snapshot jsonb,
                    created_at     timestamptz NOT NULL,
                    locked_until   timestamptz NOT NULL
                );
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE idempotency_keys")
            .await?;
        Ok(())
    }
}
