use std::sync::Arc;

use async_trait::async_trait;
use checkout_contract::signing::EventSigner;

use checkout_outbox::{Delivery, EventPublisher, PendingEvent, PublishError};

use crate::LazyConnection;

/// Publishes events with Redis PUBLISH, one pipeline per batch; an event is delivered once the
/// consumer acknowledges it on `<channel>.ack`. A single server answers PUBLISH with
/// the number of subscribers that received the message, so zero means nobody heard it and
/// the event is retried soon. A cluster node counts only its own subscribers (the message
/// still reaches those of every node), so there every event waits for its acknowledgement.
pub struct RedisPubSubPublisher {
    conn: Arc<LazyConnection>,
    channel: String,
    signer: Arc<EventSigner>,
}

impl RedisPubSubPublisher {
    /// Publishes on `channel`, every event sealed by `signer`.
    pub fn new(conn: Arc<LazyConnection>, channel: String, signer: Arc<EventSigner>) -> Self {
        Self { conn, channel, signer }
    }
}

#[async_trait]
impl EventPublisher for RedisPubSubPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Result<Vec<Delivery>, PublishError> {
        let mut conn = self.conn.get().await.map_err(super::publish_error)?;
        let mut pipe = redis::pipe();
        for event in events {
            pipe.cmd("PUBLISH")
                .arg(&self.channel)
                .arg(self.signer.seal(&event.payload));
        }
        let receivers: Vec<i64> = pipe.query_async(&mut conn).await.map_err(super::publish_error)?;
        let counted = !self.conn.is_cluster();
        Ok(receivers
            .into_iter()
            .map(|n| {
                if n > 0 || !counted {
                    Delivery::AwaitingAck
                } else {
                    Delivery::NoConsumer
                }
            })
            .collect())
    }
}
