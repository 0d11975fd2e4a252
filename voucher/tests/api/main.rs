//! Integration tests of the voucher service, and of both services together, against real
//! PostgreSQL and Redis.

mod announcements;
mod auth;
mod cli;
mod consumer;
mod database;
mod end_to_end;
mod group_commit;
mod helpers;
mod limits;
mod redis_users;
mod reference;
mod signatures;
mod streams;
mod usages;
mod validation;
mod vouchers;
