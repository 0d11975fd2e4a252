//! Redis adapters of the event publisher port, one per transport.

mod redis_pubsub_publisher;
mod redis_stream_publisher;

pub use redis_pubsub_publisher::RedisPubSubPublisher;
pub use redis_stream_publisher::{RedisStreamPublisher, Replicas};
