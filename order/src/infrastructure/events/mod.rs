//! Redis adapters of the bus ports: the event publisher, one per transport, and the
//! subscription to the voucher service's acknowledgements.

mod redis_ack_subscription;
mod redis_pubsub_publisher;
mod redis_stream_publisher;

pub use redis_ack_subscription::RedisAckSubscriber;
pub use redis_pubsub_publisher::RedisPubSubPublisher;
pub use redis_stream_publisher::{RedisStreamPublisher, Replicas};
