//! HTTP API of the order service.

mod dto;
mod errors;
mod orders;

pub use orders::OrderApi;
