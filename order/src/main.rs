use checkout_db::cli::migrate;
use checkout_runtime::{config, shutdown_on_signal, telemetry};
use order::{
    config::{Cli, Command},
    infrastructure::migrations::Migrator,
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
    }
    Ok(())
}
