//! The order service's copy of the vouchers, read for `voucher reconcile` from the order
//! database. Its only reader: the services never read each other's databases.

use async_trait::async_trait;
use checkout_db::repository_error;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::application::{
    domain::{CopiedVoucher, Holder, OrderId, VoucherId},
    ports::{OrderCopy, RepositoryError},
};

/// The `vouchers` table of the order database (its migration `m20261207_000006`).
pub struct SqlOrderCopy {
    db: DatabaseConnection,
}

impl SqlOrderCopy {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

const PAGE: &str = "SELECT id, code_digest, customer_id, amount_cents, expires_at, held_by, redeemed \
                    FROM vouchers WHERE id > $1 ORDER BY id LIMIT $2";

#[async_trait]
impl OrderCopy for SqlOrderCopy {
    async fn page(&self, after: Option<VoucherId>, limit: u64) -> Result<Vec<CopiedVoucher>, RepositoryError> {
        let after = after.map_or(Uuid::nil(), |id| id.as_uuid());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                PAGE,
                [after.into(), limit.into()],
            ))
            .await
            .map_err(repository_error)?;
        rows.iter()
            .map(|row| {
                let held_by: Option<Uuid> = row.try_get("", "held_by").map_err(repository_error)?;
                let redeemed: bool = row.try_get("", "redeemed").map_err(repository_error)?;
                let holder = match held_by.map(OrderId::from_uuid) {
                    None => Holder::Free,
                    Some(order) if redeemed => Holder::Redeemed(order),
                    Some(order) => Holder::Reserved(order),
                };
                let code_digest: String = row.try_get("", "code_digest").map_err(repository_error)?;
                Ok(CopiedVoucher {
                    id: VoucherId::from_uuid(row.try_get("", "id").map_err(repository_error)?),
                    code_digest,
                    customer_id: row.try_get("", "customer_id").map_err(repository_error)?,
                    amount_cents: row.try_get("", "amount_cents").map_err(repository_error)?,
                    expires_at: row.try_get("", "expires_at").map_err(repository_error)?,
                    holder,
                })
            })
            .collect()
    }
}
