use shared::cli::{ServiceCommand, migrate, shutdown_on_signal};
use voucher::{
    config::{DEFAULTS, Settings},
    infrastructure::migrations::Migrator,
    startup,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::config::load_dotenv();
    let about = "Voucher service: consume order.sent events, issue vouchers for eligible orders, serve them.";
    match shared::cli::parse::<Settings>("voucher", about, DEFAULTS) {
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
