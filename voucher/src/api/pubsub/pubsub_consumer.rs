use std::{sync::Arc, time::Duration};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{ConsumerCheck, EventHandler, Handled, backoff};
use crate::infrastructure::events::{RedisDeadLetters, RedisSubscription};

/// How often an idle subscription is PINGed so that a half-open connection is noticed.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// Consumes `order.sent` from a pub/sub channel, up to `concurrency` events at a time, until
/// `shutdown`; then waits for the events in hand. Subscribes again after Redis comes back,
/// and keeps trying to subscribe while Redis is down at start.
/// Where and how to subscribe.
#[derive(Debug, Clone)]
pub struct PubSubConsumerSettings {
    pub redis_url: String,
    pub channel: String,
    /// Messages buffered in memory while all workers are busy.
    pub queue_capacity: usize,
    /// Events processed at the same time.
    pub concurrency: usize,
}

pub async fn run_pubsub_consumer(
    settings: PubSubConsumerSettings,
    handler: Arc<EventHandler>,
    dead_letters: Arc<RedisDeadLetters>,
    consuming: Arc<ConsumerCheck>,
    shutdown: CancellationToken,
) {
    let PubSubConsumerSettings {
        redis_url,
        channel,
        queue_capacity,
        concurrency,
    } = settings;
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut failures = 0;
    let mut subscription = loop {
        match RedisSubscription::open(&redis_url, &channel, queue_capacity).await {
            Ok(subscription) => break subscription,
            Err(e) => {
                failures += 1;
                tracing::warn!(error.message = %e, failures, "cannot subscribe yet; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff(failures)) => {}
                }
            }
        }
    };
    consuming.set(true);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    tracing::info!(%channel, concurrency, "order.sent consumer started (pub/sub)");
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
                let (handler, dead_letters) = (handler.clone(), dead_letters.clone());
                tokio::spawn(async move {
                    match handler.handle(&payload).await {
                        Handled::Done => {}
                        Handled::Poison(reason) => {
                            if let Err(e) = dead_letters.add(&payload, &reason, "pubsub").await {
                                tracing::error!(error.message = %e, %reason, "could not dead-letter an event");
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
