//! Driving adapters: the HTTP API and the outbox relay loop that feeds the bus.

pub mod http;
pub mod metrics;
pub mod pubsub;
