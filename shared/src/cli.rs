//! Pieces of the command line both service binaries share.

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use tokio_util::sync::CancellationToken;

use crate::config::{LogSettings, MigrationDatabaseSettings, parse_for_service};

/// `<service> serve | migrate ...`, with the service's settings `S` for `serve`.
#[derive(Debug, Parser)]
#[command(version)]
pub struct ServiceCli<S: Args> {
    #[command(subcommand)]
    pub command: ServiceCommand<S>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand<S: Args> {
    /// Serve the HTTP API and process events until SIGINT or SIGTERM.
    Serve(Box<S>),
    /// Apply or inspect database migrations, as the role that owns the schema.
    Migrate {
        #[command(flatten)]
        database: MigrationDatabaseSettings,
        #[command(flatten)]
        log: LogSettings,
        #[command(subcommand)]
        action: MigrateAction,
    },
}

/// Reads the command line and the environment of service `name` (see
/// [`parse_for_service`]); exits with a message naming the variable on an error.
pub fn parse<S: Args>(name: &'static str, about: &'static str, defaults: &[(&str, &str)]) -> ServiceCommand<S> {
    parse_for_service::<ServiceCli<S>>(name, about, defaults).command
}

/// `<service> migrate ...`
#[derive(Debug, Clone, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations.
    Up {
        /// Apply at most this many.
        #[arg(short, long)]
        steps: Option<u32>,
    },
    /// Roll back applied migrations.
    Down {
        #[arg(short, long, default_value_t = 1)]
        steps: u32,
    },
    /// Show applied and pending migrations.
    Status,
    /// Drop every table and apply all migrations again (development only). Refuses unless
    /// `--confirm` names the database.
    Fresh {
        /// The name of the database whose tables are dropped, as a confirmation.
        #[arg(long, value_name = "DATABASE")]
        confirm: Option<String>,
    },
}

/// Connects as the migration role and runs a migration action of migrator `M`.
///
/// # Errors
/// The database cannot be reached, `fresh` was not confirmed with the database's name, or a
/// migration failed (it is rolled back by its transaction).
pub async fn migrate<M: MigratorTrait>(
    database: &MigrationDatabaseSettings,
    action: MigrateAction,
) -> anyhow::Result<()> {
    let url = &database.migration_database_url;
    let db = crate::db::connect(url, 1)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", url.variable()))?;
    match &action {
        MigrateAction::Up { steps } => M::up(&db, *steps).await?,
        MigrateAction::Down { steps } => M::down(&db, Some(*steps)).await?,
        MigrateAction::Status => M::status(&db).await?,
        MigrateAction::Fresh { confirm } => {
            let name = current_database(&db).await?;
            if confirm.as_deref() != Some(name.as_str()) {
                bail!(
                    "migrate fresh drops every table of database {name:?} and all their rows; nothing was \
                     changed. To go ahead, run it again with `--confirm {name}`"
                );
            }
            M::fresh(&db).await?
        }
    }
    tracing::info!(?action, "migrations done");
    Ok(())
}

async fn current_database(db: &DatabaseConnection) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT current_database()",
        ))
        .await?
        .context("SELECT current_database() returned no row")?;
    Ok(row.try_get_by_index::<String>(0)?)
}

/// A token cancelled on the first SIGINT or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("install the SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => tracing::info!("SIGINT received; shutting down"),
                _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
            tracing::info!("interrupt received; shutting down");
        }
        trigger.cancel();
    });
    token
}
