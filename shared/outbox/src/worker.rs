use std::{sync::Arc, time::Duration};

use checkout_runtime::backoff::Backoff;
use checkout_runtime::error::Chain;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::RelayEvents;

/// How often the outbox backlog gauges are refreshed.
const BACKLOG_REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Drains the outbox until `shutdown` fires: immediately when a transaction stored events
/// (`outbox_written`), otherwise every `poll_interval` to pick up retries and events other
/// instances left behind. A round in progress when shutdown comes is finished first.
pub async fn run_outbox_relay(
    relay: RelayEvents,
    outbox_written: Arc<Notify>,
    poll_interval: Duration,
    shutdown: CancellationToken,
) {
    tracing::info!(batch_size = relay.batch_size(), ?poll_interval, "outbox relay started");
    // Back off while the database is unreachable: 200 ms doubling to 5 s, with jitter.
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut next_backlog_report = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_backlog_report {
            next_backlog_report += BACKLOG_REPORT_INTERVAL;
            if let Err(e) = relay.report_backlog().await {
                tracing::warn!(error.message = %Chain(&e), "could not measure the outbox backlog");
            }
        }
        let pause = match relay.run_once().await {
            Ok(report) => {
                backoff.reset();
                // A full batch suggests more are due: go again without waiting.
                if report.claimed as u32 == relay.batch_size() && !shutdown.is_cancelled() {
                    continue;
                }
                poll_interval
            }
            Err(e) => {
                let pause = backoff.next_delay();
                tracing::error!(
                    error.message = %Chain(&e),
                    failures = backoff.failures(),
                    retry_in = ?pause,
                    "outbox relay round failed"
                );
                pause
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = outbox_written.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("outbox relay stopped");
}
