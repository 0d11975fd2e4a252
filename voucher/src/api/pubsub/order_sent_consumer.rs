use std::{sync::Arc, time::Duration};

use shared::events::OrderSent;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    application::{
        repositories::RepositoryError,
        usecases::{IssueOutcome, IssueVoucher, IssueVoucherError},
    },
    infrastructure::events::RedisSubscription,
};

/// How often an idle subscription is PINGed so that a half-open connection is noticed.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Longest pause between retries of an event while the database is unavailable.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Feeds `order.sent` messages to [`IssueVoucher`], up to `concurrency` at a time, until
/// `shutdown` fires; then waits for the events in hand to finish. A message that is not a
/// valid event is logged with its reason and skipped; it never stops the consumer.
pub async fn run_order_sent_consumer(
    mut subscription: RedisSubscription,
    issue_voucher: Arc<IssueVoucher>,
    concurrency: usize,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    tracing::info!(concurrency, "order.sent consumer started");
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = heartbeat.tick() => {
                if let Err(e) = subscription.ping().await {
                    tracing::warn!(error.message = %e, "Redis heartbeat failed; the connection will be re-established");
                }
            }
            message = subscription.next_message() => {
                let Some(payload) = message else {
                    tracing::error!("subscription closed");
                    break;
                };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let issue_voucher = issue_voucher.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move {
                    handle(&payload, &issue_voucher, &shutdown).await;
                    drop(permit);
                });
            }
        }
    }
    // Let the events in hand finish before returning.
    let _ = permits.acquire_many(concurrency as u32).await;
    tracing::info!("order.sent consumer stopped");
}

async fn handle(payload: &[u8], issue_voucher: &IssueVoucher, shutdown: &CancellationToken) {
    let event = match OrderSent::from_json(payload) {
        Ok(event) => event,
        Err(reason) => {
            let excerpt = String::from_utf8_lossy(&payload[..payload.len().min(256)]).into_owned();
            tracing::warn!(%reason, payload = %excerpt, "skipping an event that cannot be read");
            return;
        }
    };
    let span =
        tracing::info_span!("order_sent", event_id = %event.event_id, order_id = %event.order_id);
    async {
        let mut pause = Duration::from_millis(100);
        loop {
            match issue_voucher.execute(&event).await {
                Ok(IssueOutcome::Issued(_) | IssueOutcome::AlreadyIssued | IssueOutcome::NotEligible { .. }) => return,
                Err(IssueVoucherError::Repository(RepositoryError::Unavailable(e))) if !shutdown.is_cancelled() => {
                    tracing::warn!(error.message = %e, retry_in = ?pause, "database unavailable; retrying the event");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_RETRY_PAUSE);
                }
                Err(e) => {
                    tracing::error!(error.message = %e, error.cause_chain = ?e, "event could not be processed");
                    return;
                }
            }
        }
    }
    .instrument(span)
    .await
}
