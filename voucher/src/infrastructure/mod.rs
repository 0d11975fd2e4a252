//! Adapters behind the application's ports: PostgreSQL via sea-orm, Redis via redis-rs.

pub mod entities;
pub mod events;
pub mod migrations;
pub mod repositories;
