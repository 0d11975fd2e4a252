//! PostgreSQL for both services' adapters: connection pools, error classification for the
//! repository ports ([`RepositoryError`]), group commit, the connection budget, and the
//! `migrate` subcommand ([`cli`]).
#![forbid(unsafe_code)]

use std::{ops::Deref, time::Duration};

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr, sqlx};

mod budget;
pub mod cli;
mod group_commit;
pub mod outbox;
mod settings;
mod url;

pub use budget::{ConnectionBudget, connection_budget, log_connection_budget};
pub use checkout_runtime::{BoxError, RepositoryError};
pub use group_commit::{BatchWrite, GroupCommit, together_or_each_alone};
pub use settings::{DatabaseCheck, DatabaseSettings};
pub use url::{DatabaseUrl, DatabaseUrlParser, InvalidDatabaseUrl};

/// Opens a connection pool. Acquiring a connection times out after three seconds so that,
/// while the database is down, requests fail fast with 503 instead of piling up. Only
/// connections idle for a second or more are pinged before use: pinging on every checkout
/// costs a round trip per request, and busy connections are known to be alive.
///
/// TLS is what the URL's `sslmode` and `sslrootcert` say (rustls).
///
/// # Errors
/// The database cannot be reached or refused the connection. The error never holds the URL.
pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    // The URL was checked when it was read, so sea-orm, whose parse errors quote the whole
    // URL, finds nothing to complain about.
    let mut options = ConnectOptions::new(url.expose());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Whether the error says the database is unreachable or overloaded (worth retrying later),
/// as opposed to a fault in the statement or the data.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.deref(),
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Tls(_)
            ) || sqlstate(err).is_some_and(|code| {
                // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
                // 53300 too_many_connections, 08xxx connection exceptions.
                matches!(code.as_str(), "57P01" | "57P02" | "57P03" | "53300") || code.starts_with("08")
            })
        }
        _ => false,
    }
}

/// The name of the unique constraint (or unique index) the statement violated, if any.
pub fn violated_unique_constraint(err: &DbErr) -> Option<String> {
    let db_err = database_error(err)?;
    (db_err.code().as_deref() == Some("23505"))
        .then(|| db_err.constraint().map(str::to_owned))
        .flatten()
}

fn sqlstate(err: &DbErr) -> Option<String> {
    database_error(err)?.code().map(|c| c.into_owned())
}

fn database_error(err: &DbErr) -> Option<&(dyn sqlx::error::DatabaseError + 'static)> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.deref() {
            sqlx::Error::Database(db) => Some(db.as_ref()),
            _ => None,
        },
        _ => None,
    }
}

/// Classifies a sea-orm error for the repository ports.
pub fn repository_error(err: DbErr) -> RepositoryError {
    if is_unavailable(&err) {
        RepositoryError::Unavailable(Box::new(err))
    } else {
        RepositoryError::Unexpected(Box::new(err))
    }
}

/// Runs a statement and returns how many rows it touched.
///
/// # Errors
/// The statement failed, classified as for the repository ports.
pub async fn rows_affected(
    db: &impl sea_orm::ConnectionTrait,
    statement: sea_orm::Statement,
) -> Result<u64, RepositoryError> {
    Ok(db
        .execute_raw(statement)
        .await
        .map_err(repository_error)?
        .rows_affected())
}
