//! Redis side of the event consumer: a pub/sub subscription, a stream consumer group, and
//! the dead-letter stream both send unprocessable events to.

mod redis_dead_letters;
mod redis_stream_consumer;
mod redis_subscription;

pub use redis_dead_letters::RedisDeadLetters;
pub use redis_stream_consumer::RedisStreamConsumer;
pub use redis_subscription::{RedisSubscriber, RedisSubscription};

use crate::application::ports::BusError;

impl From<redis::RedisError> for BusError {
    fn from(err: redis::RedisError) -> Self {
        Self(Box::new(err))
    }
}
