use async_trait::async_trait;
use checkout_db::{BatchWrite, repository_error};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryTrait, sea_query::OnConflict};
use uuid::Uuid;

use crate::{
    application::ports::{InsertOutcome, RepositoryError},
    infrastructure::entities::vouchers,
};

/// The unique constraint on voucher codes: a collision there means "draw another code".
pub const CODE_CONSTRAINT: &str = "vouchers_code_key";

/// New vouchers, group-committed: the vouchers of the events being processed together go in
/// one multi-row `INSERT … ON CONFLICT (order_id) DO NOTHING RETURNING id`, so an order that
/// already has a voucher is skipped there. A batch that fails (a code taken, which only the
/// row concerned should learn) is written row by row.
pub struct NewVouchers;

#[async_trait]
impl BatchWrite for NewVouchers {
    type Request = vouchers::ActiveModel;
    type Output = InsertOutcome;
    const NAME: &'static str = "voucher_insert";

    async fn write(
        &self,
        db: &DatabaseConnection,
        rows: Vec<vouchers::ActiveModel>,
    ) -> Vec<Result<InsertOutcome, RepositoryError>> {
        if rows.len() > 1 {
            match insert_all(db, rows.clone()).await {
                Ok(inserted) => {
                    return rows
                        .iter()
                        .map(|row| {
                            let id = row.id.clone().unwrap();
                            Ok(if inserted.contains(&id) {
                                InsertOutcome::Inserted
                            } else {
                                InsertOutcome::OrderAlreadyHasVoucher
                            })
                        })
                        .collect();
                }
                Err(e) => {
                    tracing::debug!(error.message = %e, rows = rows.len(), "batch insert failed; writing its rows one by one")
                }
            }
        }
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            results.push(insert_one(db, row).await);
        }
        results
    }
}

fn on_order_conflict() -> OnConflict {
    OnConflict::column(vouchers::Column::OrderId).do_nothing().to_owned()
}

/// The ids of the rows inserted (a row whose order already has a voucher is not).
async fn insert_all(db: &DatabaseConnection, rows: Vec<vouchers::ActiveModel>) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    let mut insert = vouchers::Entity::insert_many(rows)
        .on_conflict(on_order_conflict())
        .build(db.get_database_backend());
    insert.sql.push_str(" RETURNING id");
    let rows = db.query_all_raw(insert).await?;
    rows.iter().map(|row| row.try_get::<Uuid>("", "id")).collect()
}

async fn insert_one(db: &DatabaseConnection, row: vouchers::ActiveModel) -> Result<InsertOutcome, RepositoryError> {
    // ON CONFLICT covers only order_id: a duplicate order is the expected, silent case,
    // while a duplicate code must surface so that a new code can be drawn.
    let inserted = vouchers::Entity::insert(row)
        .on_conflict(on_order_conflict())
        .exec_without_returning(db)
        .await;
    match inserted {
        Ok(0) => Ok(InsertOutcome::OrderAlreadyHasVoucher),
        Ok(_) => Ok(InsertOutcome::Inserted),
        Err(e) if checkout_db::violated_unique_constraint(&e).as_deref() == Some(CODE_CONSTRAINT) => {
            Ok(InsertOutcome::CodeTaken)
        }
        Err(e) => Err(repository_error(e)),
    }
}
