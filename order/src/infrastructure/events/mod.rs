//! Redis adapter of the event publisher port.

mod redis_publisher;

pub use redis_publisher::RedisEventPublisher;
