//! Integration tests of the order service against real PostgreSQL and Redis.

mod auth;
mod catalog;
mod checkout;
mod cli;
mod connections;
mod database;
mod group_commit;
mod health;
mod helpers;
mod idempotency;
mod limits;
mod orders;
mod reference;
mod relay;
mod status;
mod validation;
mod vouchers;
