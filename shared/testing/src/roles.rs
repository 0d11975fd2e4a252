//! What the runtime role of a test database may not do.

use sea_orm::{ConnectionTrait, DbErr};

use super::{TestDatabase, connect};

/// Asserts that the runtime role of `database` (what `serve` connects as) can read and write
/// the rows of `table` but cannot change the schema: each statement fails with
/// `insufficient_privilege` (42501) and leaves `table` as it was.
///
/// # Panics
/// A statement that should fail succeeded, or failed for another reason.
pub async fn assert_runtime_role_cannot_change_the_schema(database: &TestDatabase, table: &str) {
    let db = connect(&database.url).await;
    db.execute_unprepared(&format!("SELECT count(*) FROM {table}"))
        .await
        .unwrap_or_else(|e| panic!("the runtime role cannot read {table}: {e}"));
    for statement in [
        "CREATE TABLE intruder (id int)".to_owned(),
        "CREATE TEMPORARY TABLE intruder (id int)".to_owned(),
        "CREATE SCHEMA intruder".to_owned(),
        format!("ALTER TABLE {table} ADD COLUMN intruder int"),
        format!("CREATE INDEX intruder ON {table} ((1))"),
        format!("TRUNCATE {table}"),
        format!("DROP TABLE {table}"),
        "DROP TABLE seaql_migrations".to_owned(),
    ] {
        let refused = match db.execute_unprepared(&statement).await {
            Ok(_) => panic!("the runtime role may run `{statement}`"),
            Err(e) => e,
        };
        assert_eq!(sqlstate(&refused).as_deref(), Some("42501"), "{statement}: {refused}");
    }
}

fn sqlstate(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
        }
        _ => None,
    }
}
