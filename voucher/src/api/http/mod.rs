//! HTTP API of the voucher service.

mod dto;
mod errors;
mod rules;
mod vouchers;

pub use rules::documented as documented_rules;
pub use vouchers::VoucherApi;
