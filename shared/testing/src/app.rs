//! Spawning a service under test: a fresh migrated database, then the service served in the
//! background until the test that owns it is done.

use std::future::Future;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use tokio_util::sync::CancellationToken;

use super::{TestDatabase, fresh_database};
use checkout_db::DatabaseUrl;

/// A new database with `M`'s migrations applied as its owner role, and a connection to it as
/// that role (for the test's own inspections); the service under test gets `url`, the
/// runtime role.
pub async fn migrated_database<M: MigratorTrait>() -> (TestDatabase, DatabaseConnection) {
    let database = fresh_database().await;
    let db = connect(&database.migration_url).await;
    M::up(&db, None).await.expect("migrate the test database");
    (database, db)
}

/// A small pool on `url`, a test database URL.
///
/// # Panics
/// The URL is invalid or the database cannot be reached.
pub async fn connect(url: &str) -> DatabaseConnection {
    let url = DatabaseUrl::parse("the test database URL", url).expect("a valid test database URL");
    checkout_db::connect(&url, 4)
        .await
        .expect("connect to the test database")
}

/// A transaction holding `table` against writes (reads go on) until it is committed or
/// dropped: the writes a test starts meanwhile queue behind it, to be written together.
///
/// # Panics
/// The table cannot be locked.
pub async fn hold_writes(db: &DatabaseConnection, table: &str) -> DatabaseTransaction {
    let lock = db.begin().await.expect("begin a transaction");
    lock.execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
        .await
        .expect("lock the table");
    lock
}

/// Stops a service spawned by [`serve`] when dropped, so it ends with the test that owns it.
#[derive(Debug)]
pub struct Shutdown(CancellationToken);

impl Drop for Shutdown {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Spawns `run` (a service's `run_until_stopped`) with a shutdown token, and returns the
/// address of the service listening on `port` of 127.0.0.1 with the guard that stops it.
pub fn serve<F, Fut>(port: u16, run: F) -> (String, Shutdown)
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let token = CancellationToken::new();
    tokio::spawn(run(token.clone()));
    (format!("http://127.0.0.1:{port}"), Shutdown(token))
}
