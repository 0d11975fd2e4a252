use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::application::usecases::RelayEvents;

/// How often the outbox backlog gauges are refreshed.
const BACKLOG_REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Drains the outbox until `shutdown` fires: immediately when a status change wrote events
/// (`outbox_written`), otherwise every `poll_interval` to pick up retries and events other
/// instances left behind. A round in progress when shutdown comes is finished first.
pub async fn run_outbox_relay(
    relay: RelayEvents,
    outbox_written: Arc<Notify>,
    poll_interval: Duration,
    shutdown: CancellationToken,
) {
    tracing::info!(batch_size = relay.batch_size(), ?poll_interval, "outbox relay started");
    let mut failures: u32 = 0;
    let mut next_backlog_report = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_backlog_report {
            next_backlog_report += BACKLOG_REPORT_INTERVAL;
            if let Err(e) = relay.report_backlog().await {
                tracing::warn!(error.message = %e, "could not measure the outbox backlog");
            }
        }
        match relay.run_once().await {
            Ok(report) => {
                failures = 0;
                // A full batch suggests more are due: go again without waiting.
                if report.claimed as u32 == relay.batch_size() && !shutdown.is_cancelled() {
                    continue;
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::error!(error.message = %e, failures, "outbox relay round failed");
            }
        }
        let pause = if failures == 0 {
            poll_interval
        } else {
            // Back off while the database is unreachable: 200 ms doubling to 5 s.
            Duration::from_millis(200 * 2u64.pow(failures.min(5))).min(Duration::from_secs(5))
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = outbox_written.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("outbox relay stopped");
}
