use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every key belongs to the caller that sent it (the token's `sub`): the same key from
        // another caller is another key. Keys stored before have no caller, so nobody can
        // replay them; they expire within 24 hours. A key is stored with its bytes outside
        // printable ASCII written as `\xNN`: up to four characters per byte, 4 * 255 = 1020
        // (IdempotencyKey::MAX_STORED_CHARS, written out: an applied migration must not change
        // meaning when a constant changes).
        let sql = r#"
            ALTER TABLE idempotency_keys ADD COLUMN caller text NOT NULL DEFAULT '';
            ALTER TABLE idempotency_keys ALTER COLUMN caller DROP DEFAULT;
            ALTER TABLE idempotency_keys ALTER COLUMN key TYPE varchar(1020);
            ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
            ALTER TABLE idempotency_keys ADD PRIMARY KEY (caller, key);
            "#;
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Keys of different callers may collide once the caller is gone: they are dropped.
        manager
            .get_connection()
            .execute_unprepared(
                r#"
                DELETE FROM idempotency_keys;
                ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
                ALTER TABLE idempotency_keys DROP COLUMN caller;
                ALTER TABLE idempotency_keys ALTER COLUMN key TYPE varchar(255);
                ALTER TABLE idempotency_keys ADD PRIMARY KEY (key);
                "#,
            )
            .await?;
        Ok(())
    }
}
