//! The outbox relay's publishers (`checkout_outbox::EventPublisher`), one per transport:
//! every event sealed with the service's signing key.

mod pubsub;
mod stream;

pub use pubsub::RedisPubSubPublisher;
pub use stream::{RedisStreamPublisher, Replicas};

/// A batch Redis refused, told once: a pipeline answers each of its commands with its own
/// refusal, and a batch of a hundred would otherwise log the same line a hundred times.
#[derive(Debug, thiserror::Error)]
#[error("Redis refused {refused} of the batch's commands, the first with: {first}")]
struct Refused {
    refused: usize,
    first: String,
}

/// The error of a batch that could not be published.
fn publish_error(err: redis::RedisError) -> checkout_outbox::PublishError {
    let refused = err.clone().into_server_errors().filter(|errors| errors.len() > 1);
    match refused {
        Some(errors) => checkout_outbox::PublishError(Box::new(Refused {
            refused: errors.len(),
            first: errors[0].1.to_string(),
        })),
        None => checkout_outbox::PublishError(Box::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use checkout_outbox::{EventPublisher, PendingEvent};

    use super::*;
    use crate::{LazyConnection, RedisEndpoint};

    #[tokio::test]
    async fn a_batch_refused_command_by_command_is_told_once() {
        let redis = &checkout_testing::servers().redis;
        let endpoint = RedisEndpoint::new(&redis.url("voucher"), None, None).unwrap();
        let conn = Arc::new(LazyConnection::new(&endpoint).unwrap());
        let signer = Arc::new(checkout_testing::event_keys().signer());
        // A stream the voucher user may not append to.
        let publisher = RedisStreamPublisher::new(conn, "not.granted".into(), signer, None);
        let batch: Vec<_> = (0..100)
            .map(|_| PendingEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: "voucher.issued".into(),
                aggregate_id: uuid::Uuid::now_v7(),
                payload: "{}".into(),
                trace: Default::default(),
                attempts: 1,
            })
            .collect();
        let err = publisher.publish(&batch).await.unwrap_err();
        let told = checkout_runtime::error::Chain(&err).to_string();
        assert!(told.contains("Redis refused 100 of the batch's commands"), "{told}");
        assert_eq!(
            told.matches("NOPERM").count() + told.matches("NoPerm").count(),
            1,
            "{told}"
        );
    }
}
