//! Driving adapters: the HTTP API and the consumer of `order.sent` events.

pub mod http;
pub mod metrics;
pub mod pubsub;
