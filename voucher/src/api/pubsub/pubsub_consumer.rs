use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use checkout_contract::events::{AckOutcome, EventAck};
use checkout_runtime::backoff;

use checkout_bus::consume::ConsumerCheck;

use super::{EventHandler, Handled};
use crate::application::ports::{Acknowledgements, DeadLetters, Subscriber};

/// The bus ends of the pub/sub consumer.
pub struct PubSubBus {
    pub subscriber: Arc<dyn Subscriber>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub acks: Arc<dyn Acknowledgements>,
}

/// Consumes `order.sent` from a pub/sub subscription, up to `concurrency` events at a time,
/// until `shutdown`; then waits for the events in hand. Each event is acknowledged once its
/// outcome is stored (or it is dead-lettered); an event lost in between (a crash, Redis
/// down) is published again by the order service. The subscription resubscribes after the
/// bus comes back; while the bus is down at start, subscribing is retried with back-off.
pub async fn run_pubsub_consumer(
    bus: PubSubBus,
    concurrency: usize,
    handler: Arc<EventHandler>,
    consuming: Arc<ConsumerCheck>,
    shutdown: CancellationToken,
) {
    let PubSubBus {
        subscriber,
        dead_letters,
        acks,
    } = bus;
    let permits = Arc::new(Semaphore::new(concurrency));
    let subscribe = || subscriber.subscribe();
    let Some(mut subscription) = backoff::until_done("cannot subscribe yet", &shutdown, subscribe).await else {
        return;
    };
    consuming.set(true);
    tracing::info!(concurrency, "order.sent consumer started (pub/sub)");
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            message = subscription.next_message() => {
                let Some(payload) = message else {
                    tracing::error!("subscription closed");
                    break;
                };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let (handler, dead_letters, acks) = (handler.clone(), dead_letters.clone(), acks.clone());
                tokio::spawn(async move {
                    let handled = handler.handle(&payload).await;
                    settle(handled, &payload, dead_letters.as_ref(), acks.as_ref()).await;
                    drop(permit);
                });
            }
        }
    }
    consuming.set(false);
    let _ = permits.acquire_many(concurrency as u32).await;
    tracing::info!("order.sent consumer stopped");
}

/// Dead-letters a poisoned event and acknowledges what is settled: a processed event, or an
/// authentic one once it is in the dead-letter stream. Nothing is acknowledged that is not
/// durably recorded, so a failure here only leads to a re-publish.
async fn settle(handled: Handled, payload: &[u8], dead_letters: &dyn DeadLetters, acks: &dyn Acknowledgements) {
    let ack = match handled {
        Handled::Done(ack) => ack,
        Handled::Poison { reason, event_id } => {
            if let Err(e) = dead_letters.add(payload, &reason, "pubsub").await {
                tracing::error!(
                    error.message = %checkout_runtime::error::Chain(&e),
                    %reason,
                    "could not dead-letter an event; it will come again"
                );
                return;
            }
            let Some(event_id) = event_id else { return };
            EventAck {
                event_id,
                outcome: AckOutcome::DeadLettered,
            }
        }
        Handled::Interrupted => {
            tracing::warn!("shutting down before an event was processed; it will come again");
            return;
        }
    };
    if let Err(e) = acks.acknowledge(&ack).await {
        tracing::warn!(
            error.message = %checkout_runtime::error::Chain(&e),
            event_id = %ack.event_id,
            "could not acknowledge an event; it will be published again"
        );
    }
}
