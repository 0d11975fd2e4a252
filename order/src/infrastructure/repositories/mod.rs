//! sea-orm adapters of the persistence ports.

mod batched_writes;
mod memory_catalog;
mod rows;
mod sea_orm_order_repository;
mod sea_orm_product_repository;
mod sea_orm_voucher_repository;

pub use memory_catalog::MemoryCatalog;
pub use sea_orm_order_repository::SeaOrmOrderRepository;
pub use sea_orm_product_repository::SeaOrmProductRepository;
pub use sea_orm_voucher_repository::SeaOrmVoucherRepository;

use checkout_db::repository_error;
