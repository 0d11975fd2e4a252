//! `<service> migrate ...`: the migration subcommand both service binaries take.

use anyhow::{Context, bail};
use clap::Subcommand;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;

use crate::DatabaseUrl;

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
pub async fn migrate<M: MigratorTrait>(url: &DatabaseUrl, action: MigrateAction) -> anyhow::Result<()> {
    let db = crate::connect(url, 1)
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
