//! The event the order service emits. Its wire form is the contract in `shared::events`;
//! [`Order::transition`](super::domain::Order::transition) is what decides to emit it.

pub use shared::events::OrderSent;
