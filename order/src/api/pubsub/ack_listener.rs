use std::sync::Arc;

use checkout_contract::events::EventAck;
use checkout_runtime::backoff;
use checkout_runtime::error::Chain;
use tokio_util::sync::CancellationToken;

use crate::application::{ports::AckSubscriber, usecases::AcknowledgeEvents};

/// Acknowledgements recorded per database write, at most.
const BATCH: usize = 256;

/// Listens on the acknowledgement channel (pub/sub transport) until `shutdown` and records
/// what it hears. An acknowledgement missed (Redis down, this instance restarting, a failed
/// write) only means the relay publishes that event again and it is acknowledged again.
pub async fn run_ack_listener(
    subscriber: Arc<dyn AckSubscriber>,
    acknowledge: AcknowledgeEvents,
    shutdown: CancellationToken,
) {
    let open = || subscriber.subscribe();
    let Some(mut subscription) = backoff::until_done("cannot subscribe to acknowledgements yet", &shutdown, open).await
    else {
        return;
    };
    tracing::info!(channel = %subscriber.channel(), "acknowledgement listener started");
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            batch = subscription.next_batch(BATCH) => {
                if batch.is_empty() {
                    tracing::error!("acknowledgement subscription closed");
                    break;
                }
                let acks = read(&batch);
                if let Err(e) = acknowledge.execute(&acks).await {
                    tracing::warn!(
                        error.message = %Chain(&e),
                        acks = acks.len(),
                        "could not record acknowledgements; their events will be published again"
                    );
                }
            }
        }
    }
    tracing::info!("acknowledgement listener stopped");
}

/// The acknowledgements among `messages`; anything else is logged and counted.
fn read(messages: &[Vec<u8>]) -> Vec<EventAck> {
    messages
        .iter()
        .filter_map(|message| match EventAck::from_json(message) {
            Ok(ack) => Some(ack),
            Err(e) => {
                metrics::counter!("acks_rejected_total").increment(1);
                tracing::warn!(error.message = %e, bytes = message.len(), "not an acknowledgement; ignored");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use checkout_contract::events::AckOutcome;
    use uuid::Uuid;

    use super::*;
    use crate::application::ports::{AckSubscription, BusError, MockOutboxRepository};

    /// A subscription that hands out `batches`, then is gone.
    struct Batches(VecDeque<Vec<Vec<u8>>>);

    #[async_trait::async_trait]
    impl AckSubscription for Batches {
        async fn next_batch(&mut self, _max: usize) -> Vec<Vec<u8>> {
            self.0.pop_front().unwrap_or_default()
        }
    }

    struct OneSubscription(std::sync::Mutex<Option<Batches>>);

    #[async_trait::async_trait]
    impl AckSubscriber for OneSubscription {
        fn channel(&self) -> &str {
            "order.sent.ack"
        }

        async fn subscribe(&self) -> Result<Box<dyn AckSubscription>, BusError> {
            let batches = self.0.lock().unwrap().take().expect("one subscription");
            Ok(Box::new(batches))
        }
    }

    #[tokio::test]
    async fn each_batch_heard_is_recorded_in_one_write_until_the_subscription_ends() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let ack = |event_id| {
            EventAck {
                event_id,
                outcome: AckOutcome::NotEligible,
            }
            .to_json()
            .into_bytes()
        };
        let batches = Batches(VecDeque::from([vec![ack(first), b"junk".to_vec()], vec![ack(second)]]));
        let mut outbox = MockOutboxRepository::new();
        let mut seq = mockall::Sequence::new();
        for expected in [first, second] {
            outbox
                .expect_mark_published()
                .withf(move |ids| ids == [expected])
                .times(1)
                .in_sequence(&mut seq)
                .returning(|_| Ok(()));
        }
        let subscriber = Arc::new(OneSubscription(std::sync::Mutex::new(Some(batches))));
        run_ack_listener(
            subscriber,
            AcknowledgeEvents::new(Arc::new(outbox)),
            CancellationToken::new(),
        )
        .await;
    }

    #[test]
    fn only_acknowledgements_are_read_from_the_channel() {
        let ack = EventAck {
            event_id: Uuid::now_v7(),
            outcome: AckOutcome::Issued,
        };
        let messages = [
            b"junk".to_vec(),
            ack.to_json().into_bytes(),
            br#"{"event_id":"not-a-uuid","outcome":"issued"}"#.to_vec(),
        ];
        assert_eq!(read(&messages), [ack]);
    }
}
