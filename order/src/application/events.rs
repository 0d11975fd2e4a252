//! The event the order service emits. Its wire form is the contract in `checkout_contract::events`;
//! [`Order::transition`](super::domain::Order::transition) is what decides to emit it.

pub use checkout_contract::events::OrderSent;
