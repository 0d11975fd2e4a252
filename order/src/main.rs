use clap::{Parser, Subcommand};
use order::{config::Settings, infrastructure::migrations::Migrator, startup};
use shared::cli::{MigrateAction, migrate, shutdown_on_signal};

/// Order service: create orders, move them through their lifecycle, publish order.sent events.
#[derive(Parser)]
#[command(name = "order", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and relay outbox events to Redis.
    Serve,
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::config::load_dotenv();
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    shared::telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => {
            let app = startup::Application::build(settings).await?;
            app.run_until_stopped(shutdown_on_signal()).await?;
        }
        Command::Migrate { action } => {
            let db = startup::connect_database(&settings).await?;
            migrate::<Migrator>(&db, action).await?;
        }
    }
    Ok(())
}
