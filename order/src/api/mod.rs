//! Driving adapters: the HTTP API, the acknowledgement listener on the bus, and the
//! background workers (outbox relay, housekeeping).

pub mod http;
pub mod metrics;
pub mod pubsub;
pub mod workers;
