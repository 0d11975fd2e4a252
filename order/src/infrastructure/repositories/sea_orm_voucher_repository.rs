use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict};

use super::repository_error;
use crate::{
    application::{
        domain::Voucher,
        ports::{RepositoryError, VoucherRepository},
    },
    infrastructure::entities::vouchers,
};

/// The copy of the vouchers in PostgreSQL.
pub struct SeaOrmVoucherRepository {
    db: DatabaseConnection,
}

impl SeaOrmVoucherRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl VoucherRepository for SeaOrmVoucherRepository {
    async fn record(&self, voucher: &Voucher) -> Result<bool, RepositoryError> {
        let row = vouchers::ActiveModel {
            id: Set(voucher.id),
            code_digest: Set(voucher.code_digest.clone()),
            customer_id: Set(voucher.customer_id.as_str().to_owned()),
            amount_cents: Set(voucher.value.amount.get()),
            currency: Set(voucher.value.currency.code().to_owned()),
            issued_at: Set(voucher.issued_at),
            expires_at: Set(voucher.expires_at),
            held_by: Set(None),
            redeemed: Set(false),
        };
        // A known voucher keeps its row as it is: its hold is this service's to change.
        let inserted = vouchers::Entity::insert(row)
            .on_conflict(OnConflict::column(vouchers::Column::Id).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(inserted == 1)
    }
}
