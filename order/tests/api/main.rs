//! Integration tests of the order service against real PostgreSQL and Redis.

mod auth;
mod cli;
mod connections;
mod database;
mod health;
mod helpers;
mod idempotency;
mod limits;
mod orders;
mod relay;
mod status;
mod validation;
