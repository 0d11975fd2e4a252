//! The wire contract between the services: what another service needs to consume or
//! produce `order.sent`. The event types ([`events`]), their proof of origin ([`signing`]),
//! the correlation they carry ([`trace`]) and the value types in them ([`Money`],
//! [`CustomerId`]). No web framework, ORM, Redis client or async runtime: a consumer in any
//! stack can depend on this crate alone.
#![forbid(unsafe_code)]

pub mod events;
pub mod signing;
pub mod trace;

pub use checkout_domain::{Cents, Currency, CustomerId, Money};
