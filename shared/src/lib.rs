//! Plumbing shared by the order and voucher services: the wire contract of the events
//! they exchange, environment configuration, telemetry, HTTP errors, health probes and the
//! verification of access tokens.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backoff;
pub mod bus;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod net;
pub mod probes;
#[cfg(feature = "profiling")]
pub mod profiling;
pub mod repository;
pub mod signing;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod trace;
