//! HTTP API of the voucher service.

mod dto;
mod errors;
mod vouchers;

pub use vouchers::VoucherApi;
