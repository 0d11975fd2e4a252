use std::time::Duration;

use checkout_runtime::error::Chain;
use tokio_util::sync::CancellationToken;

use crate::application::usecases::RefreshCatalog;

/// Runs [`RefreshCatalog`] every `interval` until `shutdown`: a change written through
/// another replica reaches this one's new orders within `interval` and one reload. A failed
/// round keeps the copy as it is (orders are priced from it meanwhile) and is logged.
pub async fn run_catalog_refresh(refresh: RefreshCatalog, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = ticks.tick() => {}
        }
        if let Err(e) = refresh.execute().await {
            tracing::warn!(error.message = %Chain(&e), "could not refresh the catalog; orders are priced from the copy in memory");
        }
    }
}
