use clap::{Parser, Subcommand};
use shared::cli::{MigrateAction, migrate, shutdown_on_signal};
use voucher::{config::Settings, infrastructure::migrations::Migrator, startup};

/// Voucher service: issue vouchers for sent orders over 100.00 EUR, serve and redeem them.
#[derive(Parser)]
#[command(name = "voucher", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and consume order.sent events from Redis.
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
