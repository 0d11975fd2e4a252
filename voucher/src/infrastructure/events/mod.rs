//! Redis side of the event consumer: a pub/sub subscription, a stream consumer group, and
//! the dead-letter stream both send unprocessable events to.

mod redis_dead_letters;
mod redis_stream_consumer;
mod redis_subscription;

pub use redis_dead_letters::RedisDeadLetters;
pub use redis_stream_consumer::{RedisStreamConsumer, StreamEntry};
pub use redis_subscription::RedisSubscription;
