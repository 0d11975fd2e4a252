//! Driving adapters: the HTTP API, the consumer of the order service's events, and the
//! operator's commands.

pub mod cli;
pub mod http;
pub mod metrics;
pub mod pubsub;
