use std::{sync::Arc, time::Duration};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use shared::backoff::Backoff;

use super::{ConsumerCheck, EventHandler, Handled};
use crate::application::ports::{DeadLetters, Subscriber};

/// How often an idle subscription is PINGed so that a half-open connection is noticed.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// Consumes `order.sent` from a pub/sub subscription, up to `concurrency` events at a time,
/// until `shutdown`; then waits for the events in hand. The subscription resubscribes after
/// the bus comes back; while the bus is down at start, subscribing is retried with back-off.
pub async fn run_pubsub_consumer(
    subscriber: Arc<dyn Subscriber>,
    concurrency: usize,
    handler: Arc<EventHandler>,
    dead_letters: Arc<dyn DeadLetters>,
    consuming: Arc<ConsumerCheck>,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut backoff = Backoff::default();
    let mut subscription = loop {
        match subscriber.subscribe().await {
            Ok(subscription) => break subscription,
            Err(e) => {
                let pause = backoff.next_delay();
                tracing::warn!(
                    error.message = %shared::error::Chain(&e),
                    failures = backoff.failures(),
                    retry_in = ?pause,
                    "cannot subscribe yet; retrying"
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        }
    };
    consuming.set(true);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    tracing::info!(concurrency, "order.sent consumer started (pub/sub)");
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = heartbeat.tick() => {
                if let Err(e) = subscription.ping().await {
                    tracing::warn!(
                        error.message = %shared::error::Chain(&e),
                        "heartbeat failed; the connection will be re-established"
                    );
                }
            }
            message = subscription.next_message() => {
                let Some(payload) = message else {
                    tracing::error!("subscription closed");
                    break;
                };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let (handler, dead_letters) = (handler.clone(), dead_letters.clone());
                tokio::spawn(async move {
                    match handler.handle(&payload).await {
                        Handled::Done => {}
                        Handled::Poison(reason) => {
                            if let Err(e) = dead_letters.add(&payload, &reason, "pubsub").await {
                                tracing::error!(
                                    error.message = %shared::error::Chain(&e),
                                    %reason,
                                    "could not dead-letter an event"
                                );
                            }
                        }
                        Handled::Interrupted => tracing::warn!("shutting down before an event was processed"),
                    }
                    drop(permit);
                });
            }
        }
    }
    consuming.set(false);
    let _ = permits.acquire_many(concurrency as u32).await;
    tracing::info!("order.sent consumer stopped");
}
