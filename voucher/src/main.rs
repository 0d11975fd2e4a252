use checkout_db::cli::migrate;
use checkout_runtime::{config, shutdown_on_signal, telemetry};
use std::sync::Arc;

use anyhow::Context as _;
use voucher::{
    api::cli,
    application::usecases::Reconcile,
    config::{Cli, Command},
    infrastructure::{
        migrations::Migrator,
        repositories::{SeaOrmVoucherRepository, SqlOrderCopy},
    },
    startup,
};

/// Vouchers `voucher reconcile` reads per page from each side.
const RECONCILE_PAGE_SIZE: u64 = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::load_dotenv();
    let about = "Voucher service: consume order.sent events, issue vouchers for eligible orders, serve them.";
    let cli: Cli = config::parse("voucher", about).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Serve(settings) => {
            settings.check().unwrap_or_else(|e| e.exit());
            telemetry::init(settings.log.log_format);
            let app = startup::Application::build(*settings).await?;
            app.run_until_stopped(shutdown_on_signal()).await?;
        }
        Command::Migrate {
            migration_database_url,
            log,
            action,
        } => {
            telemetry::init(log.log_format);
            migrate::<Migrator>(&migration_database_url, action).await?;
        }
        Command::Reconcile {
            database_url,
            order_database_url,
            log,
        } => {
            telemetry::init(log.log_format);
            let here = checkout_db::connect(&database_url, 2)
                .await
                .context("cannot connect to PostgreSQL at VOUCHER_DATABASE_URL")?;
            let copy = checkout_db::connect(&order_database_url, 2)
                .await
                .context("cannot connect to PostgreSQL at RECONCILE_ORDER_DATABASE_URL")?;
            let reconcile = Reconcile::new(
                Arc::new(SeaOrmVoucherRepository::new(here, 1)),
                Arc::new(SqlOrderCopy::new(copy)),
                RECONCILE_PAGE_SIZE,
            );
            let agree = cli::reconcile(&reconcile).await.context("reconciling the vouchers")?;
            if !agree {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
