//! The outbox relay's publishers (`checkout_outbox::EventPublisher`), one per transport:
//! every event sealed with the service's signing key.

mod pubsub;
mod stream;

pub use pubsub::RedisPubSubPublisher;
pub use stream::{RedisStreamPublisher, Replicas};
