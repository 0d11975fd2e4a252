use checkout_db::cli::migrate;
use checkout_runtime::{config, shutdown_on_signal, telemetry};
use std::sync::Arc;

use anyhow::Context;
use order::{
    api::cli::catalog,
    application::usecases::{ExportCatalog, ImportCatalog},
    config::{CatalogAction, Cli, Command},
    infrastructure::{migrations::Migrator, repositories::SeaOrmProductRepository},
    startup,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::load_dotenv();
    let about = "Order service: create orders, move them through their lifecycle, publish order.sent events.";
    let cli: Cli = config::parse("order", about).unwrap_or_else(|e| e.exit());
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
        Command::Catalog {
            database_url,
            log,
            action,
        } => {
            telemetry::init(log.log_format);
            let db = checkout_db::connect(&database_url, 2)
                .await
                .context("cannot connect to PostgreSQL at ORDER_DATABASE_URL")?;
            let products = Arc::new(SeaOrmProductRepository::new(db));
            match action {
                CatalogAction::Import { file } => {
                    let imported = if file.as_os_str() == "-" {
                        catalog::import(&ImportCatalog::new(products), std::io::stdin().lock()).await
                    } else {
                        let input =
                            std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
                        catalog::import(&ImportCatalog::new(products), input).await
                    }
                    .with_context(|| format!("{} was not imported", file.display()))?;
                    println!(
                        "imported {}: {} created, {} replaced",
                        file.display(),
                        imported.created,
                        imported.replaced
                    );
                }
                CatalogAction::Export => {
                    catalog::export(&ExportCatalog::new(products), std::io::stdout().lock()).await?;
                }
            }
        }
    }
    Ok(())
}
