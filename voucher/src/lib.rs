//! The voucher service: consumes `order.sent` events, issues one voucher per eligible
//! order, and serves vouchers over HTTP; a voucher is spent only through an order.
#![forbid(unsafe_code)]

pub mod api;
pub mod application;
pub mod config;
pub mod infrastructure;
pub mod startup;
