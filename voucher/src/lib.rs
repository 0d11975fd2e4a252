//! The voucher service: consumes `order.sent` events, issues one voucher per eligible
//! order, and serves and redeems vouchers over HTTP.
#![forbid(unsafe_code)]

pub mod api;
pub mod application;
pub mod config;
pub mod infrastructure;
pub mod startup;
