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
                -- An order becomes sent once, so it has at most one event of each type; this
                -- makes a second order.sent for the same order impossible, not just unlikely.
                CREATE UNIQUE INDEX outbox_aggregate_event_idx ON outbox (aggregate_id, event_type);
                -- The relay only ever looks at unpublished rows, ordered by due time.
                CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE published_at IS NULL;
                "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE outbox").await?;
        Ok(())
    }
}
