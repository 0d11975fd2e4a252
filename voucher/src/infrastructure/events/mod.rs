//! Redis side of the event consumer: a pub/sub subscription with its acknowledgements, a
//! stream consumer group, and the dead-letter stream both send unprocessable events to.

mod redis_ack_publisher;
mod redis_dead_letters;
mod redis_stream_consumer;
mod redis_subscription;

pub use redis_ack_publisher::RedisAckPublisher;
pub use redis_dead_letters::RedisDeadLetters;
pub use redis_stream_consumer::RedisStreamConsumer;
pub use redis_subscription::RedisSubscriber;

use crate::application::ports::BusError;

impl From<redis::RedisError> for BusError {
    fn from(err: redis::RedisError) -> Self {
        Self(Box::new(err))
    }
}
