//! Integration tests of the order service against real PostgreSQL and Redis.

mod auth;
mod cli;
mod database;
mod health;
mod helpers;
mod idempotency;
mod orders;
mod relay;
mod status;
mod validation;
