use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::application::usecases::PurgeExpired;

/// How often expired bookkeeping rows are purged.
const INTERVAL: Duration = Duration::from_secs(3600);

/// Runs [`PurgeExpired`] every hour (the first time a minute after start) until `shutdown`.
pub async fn run_housekeeping(purge: PurgeExpired, shutdown: CancellationToken) {
    let mut next = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(next) => {}
        }
        if let Err(e) = purge.run_once().await {
            tracing::warn!(error.message = %checkout_runtime::error::Chain(&e), "purging expired rows failed; will try again");
        }
        next += INTERVAL;
    }
}
