use order::{
    config::{DEFAULTS, Settings},
    infrastructure::migrations::Migrator,
    startup,
};
use shared::cli::{ServiceCommand, migrate, shutdown_on_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::config::load_dotenv();
    let about = "Order service: create orders, move them through their lifecycle, publish order.sent events.";
    match shared::cli::parse::<Settings>("order", about, DEFAULTS) {
        ServiceCommand::Serve(settings) => {
            let settings = settings.check();
            shared::telemetry::init(settings.common.log.log_format);
            let app = startup::Application::build(settings).await?;
            app.run_until_stopped(shutdown_on_signal()).await?;
        }
        ServiceCommand::Migrate { database, log, action } => {
            shared::telemetry::init(log.log_format);
            migrate::<Migrator>(&database, action).await?;
        }
    }
    Ok(())
}
