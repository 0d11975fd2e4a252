//! sea-orm adapters of the persistence ports.

mod batched_writes;
mod rows;
mod sea_orm_order_repository;
mod sea_orm_outbox_repository;

pub use sea_orm_order_repository::SeaOrmOrderRepository;
pub use sea_orm_outbox_repository::SeaOrmOutboxRepository;

use checkout_db::repository_error;
