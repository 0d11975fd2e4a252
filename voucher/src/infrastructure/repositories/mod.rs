//! sea-orm adapters of the persistence ports.

mod new_usages;
mod new_vouchers;
mod order_copy;
mod sea_orm_voucher_repository;

pub use order_copy::SqlOrderCopy;
pub use sea_orm_voucher_repository::SeaOrmVoucherRepository;
