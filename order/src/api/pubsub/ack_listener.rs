use checkout_bus::{ChannelSubscription, RedisEndpoint};
use checkout_contract::events::EventAck;
use checkout_runtime::backoff;
use checkout_runtime::error::Chain;
use tokio_util::sync::CancellationToken;

use crate::application::usecases::AcknowledgeEvents;

/// Acknowledgements recorded per database write, at most.
const BATCH: usize = 256;
/// Acknowledgements queued in memory while a write is in progress.
const QUEUE: usize = 10_000;

/// Listens on the acknowledgement channel (pub/sub transport) until `shutdown` and records
/// what it hears. An acknowledgement missed (Redis down, this instance restarting, a failed
/// write) only means the relay publishes that event again and it is acknowledged again.
pub async fn run_ack_listener(
    endpoint: RedisEndpoint,
    channel: String,
    acknowledge: AcknowledgeEvents,
    shutdown: CancellationToken,
) {
    let open = || ChannelSubscription::open(&endpoint, &channel, QUEUE);
    let Some(mut subscription) = backoff::until_done("cannot subscribe to acknowledgements yet", &shutdown, open).await
    else {
        return;
    };
    tracing::info!(%channel, "acknowledgement listener started");
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
    use checkout_contract::events::AckOutcome;
    use uuid::Uuid;

    use super::*;

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
