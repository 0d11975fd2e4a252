//! Events the voucher service consumes. The wire contract is `shared::events::OrderSent`;
//! this module only names what the use cases need from it.

pub use shared::events::{DecodeError, OrderSent};
