use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::OnConflict};

use super::repository_error;
use crate::{
    application::{
        domain::{Hold, OrderId, Voucher},
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
            known_at: sea_orm::ActiveValue::NotSet,
        };
        // A known voucher keeps its row as it is: its hold is this service's to change.
        let inserted = vouchers::Entity::insert(row)
            .on_conflict(OnConflict::column(vouchers::Column::Id).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(inserted == 1)
    }

    async fn find(&self, code_digest: &str) -> Result<Option<(Voucher, Hold)>, RepositoryError> {
        let Some(row) = vouchers::Entity::find()
            .filter(vouchers::Column::CodeDigest.eq(code_digest))
            .one(&self.db)
            .await
            .map_err(repository_error)?
        else {
            return Ok(None);
        };
        let hold = match (row.held_by.map(OrderId::from_uuid), row.redeemed) {
            (None, _) => Hold::Free,
            (Some(order), false) => Hold::Reserved(order),
            (Some(order), true) => Hold::Redeemed(order),
        };
        let id = row.id;
        let voucher = Voucher::parse(
            row.id,
            row.code_digest,
            row.customer_id,
            row.amount_cents,
            row.currency.trim_end(),
            row.issued_at,
            row.expires_at,
        )
        .map_err(|e| RepositoryError::corrupt(format!("voucher {id}"), e))?;
        Ok(Some((voucher, hold)))
    }
}
