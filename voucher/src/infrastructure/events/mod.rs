//! Redis side of the event consumer: a pub/sub subscription with its acknowledgements, and
//! the dead-letter stream (`checkout_bus::consume::RedisDeadLetters`, also the stream
//! consumer's) as the pub/sub consumer's port. The stream consumer is
//! `checkout_bus::consume`'s.

mod redis_ack_publisher;
mod redis_subscription;

use async_trait::async_trait;
use checkout_bus::consume::RedisDeadLetters;

pub use redis_ack_publisher::RedisAckPublisher;
pub use redis_subscription::RedisSubscriber;

use crate::application::ports::{BusError, DeadLetters};

impl From<redis::RedisError> for BusError {
    fn from(err: redis::RedisError) -> Self {
        Self(Box::new(err))
    }
}

#[async_trait]
impl DeadLetters for RedisDeadLetters {
    async fn add(&self, payload: &[u8], reason: &str, source_id: &str) -> Result<(), BusError> {
        Ok(RedisDeadLetters::add(self, payload, reason, source_id).await?)
    }
}
