use std::sync::Arc;

use async_trait::async_trait;
use shared::{bus::LazyConnection, events::OrderSent, signing::EventSigner};

use crate::application::ports::{Delivery, EventPublisher, PublishError};

/// Appends events to a Redis stream with XADD, one pipeline per batch. An appended entry is
/// durable in Redis until the consumer group acknowledges it, so it counts as delivered.
/// No MAXLEN is given: trimming is left to the consumer, which knows what was acknowledged.
pub struct RedisStreamPublisher {
    conn: Arc<LazyConnection>,
    stream: String,
    signer: Arc<EventSigner>,
}

impl RedisStreamPublisher {
    /// Appends to `stream`, every event sealed by `signer`.
    pub fn new(conn: Arc<LazyConnection>, stream: String, signer: Arc<EventSigner>) -> Self {
        Self { conn, stream, signer }
    }
}

#[async_trait]
impl EventPublisher for RedisStreamPublisher {
    async fn publish(&self, events: &[OrderSent]) -> Result<Vec<Delivery>, PublishError> {
        let mut conn = self.conn.get().await.map_err(|e| PublishError(Box::new(e)))?;
        let mut pipe = redis::pipe();
        for event in events {
            pipe.cmd("XADD")
                .arg(&self.stream)
                .arg("*")
                .arg("event_id")
                .arg(event.event_id.to_string())
                .arg("payload")
                .arg(self.signer.seal(&event.to_json()));
        }
        let ids: Vec<String> = pipe
            .query_async(&mut conn)
            .await
            .map_err(|e| PublishError(Box::new(e)))?;
        Ok(ids.iter().map(|_| Delivery::Delivered).collect())
    }
}
