//! Driving adapters: the HTTP API, the command line's catalog import and export, the
//! acknowledgement listener on the bus, and the background workers (outbox relay,
//! housekeeping, catalog refresh).

pub mod cli;
pub mod http;
pub mod metrics;
pub mod pubsub;
pub mod workers;
