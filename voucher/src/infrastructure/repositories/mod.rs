//! sea-orm adapter of the persistence port.

mod new_vouchers;
mod sea_orm_voucher_repository;

pub use sea_orm_voucher_repository::SeaOrmVoucherRepository;
