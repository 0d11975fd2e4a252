//! HTTP API of the order service.

mod dto;
mod errors;
mod orders;
mod rules;

pub use orders::OrderApi;
pub use rules::documented as documented_rules;
