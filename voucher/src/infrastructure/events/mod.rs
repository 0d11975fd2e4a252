//! Redis side of the event consumer.

mod redis_subscription;

pub use redis_subscription::RedisSubscription;
