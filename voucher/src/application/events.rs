//! Events the voucher service consumes. The wire contract is `checkout_contract::events::OrderSent`;
//! this module only names what the use cases need from it.

pub use checkout_contract::events::{DecodeError, OrderSent};
