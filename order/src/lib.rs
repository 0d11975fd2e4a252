//! The order service: takes orders, moves them through their lifecycle and publishes
//! `order.sent` events through a transactional outbox.
#![forbid(unsafe_code)]

pub mod api;
pub mod application;
pub mod config;
pub mod infrastructure;
pub mod startup;
