use std::sync::Arc;

use async_trait::async_trait;
use checkout_bus::LazyConnection;
use checkout_contract::events::EventAck;

use crate::application::ports::{Acknowledgements, BusError};

/// Publishes acknowledgements on `<channel>.ack` with Redis PUBLISH. Every order instance is
/// subscribed; any of them records the acknowledgement.
pub struct RedisAckPublisher {
    conn: Arc<LazyConnection>,
    channel: String,
}

impl RedisAckPublisher {
    pub fn new(conn: Arc<LazyConnection>, channel: String) -> Self {
        Self { conn, channel }
    }
}

#[async_trait]
impl Acknowledgements for RedisAckPublisher {
    async fn acknowledge(&self, ack: &EventAck) -> Result<(), BusError> {
        let mut conn = self.conn.get().await?;
        let listeners: i64 = redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(ack.to_json())
            .query_async(&mut conn)
            .await?;
        if listeners == 0 {
            // No order instance is listening right now; the event will be published again.
            tracing::debug!(event_id = %ack.event_id, "nobody heard the acknowledgement");
        }
        Ok(())
    }
}
