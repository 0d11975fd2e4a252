//! The outbox table both services keep ([`entity`]) and the relay's view of it
//! ([`SeaOrmOutbox`], the adapter of `checkout_outbox::OutboxRepository`).

pub mod entity;
mod repository;

pub use repository::SeaOrmOutbox;
