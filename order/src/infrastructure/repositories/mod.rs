//! sea-orm adapters of the persistence ports.

mod sea_orm_idempotency_repository;
mod sea_orm_order_repository;
mod sea_orm_outbox_repository;

pub use sea_orm_idempotency_repository::SeaOrmIdempotencyRepository;
pub use sea_orm_order_repository::SeaOrmOrderRepository;
pub use sea_orm_outbox_repository::SeaOrmOutboxRepository;

use sea_orm::DbErr;

use crate::application::repositories::RepositoryError;

fn repository_error(err: DbErr) -> RepositoryError {
    if shared::db::is_unavailable(&err) {
        RepositoryError::Unavailable(err.to_string())
    } else {
        RepositoryError::Unexpected(err.to_string())
    }
}
