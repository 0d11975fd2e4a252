use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use shared::db::repository_error;

use crate::{
    application::{
        dto::{Voucher, VoucherCode, VoucherQuery, VoucherStatus},
        repositories::{InsertOutcome, RedeemOutcome, RepositoryError, VoucherRepository},
    },
    infrastructure::entities::vouchers,
};

const CODE_CONSTRAINT: &str = "vouchers_code_key";

/// Vouchers in PostgreSQL.
pub struct SeaOrmVoucherRepository {
    db: DatabaseConnection,
}

impl SeaOrmVoucherRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn from_domain(v: &Voucher) -> vouchers::ActiveModel {
    vouchers::ActiveModel {
        id: Set(v.id),
        code: Set(v.code.as_str().to_owned()),
        customer_id: Set(v.customer_id.clone()),
        order_id: Set(v.order_id),
        amount_cents: Set(v.amount_cents),
        currency: Set(v.currency.clone()),
        status: Set(v.status.as_str().to_owned()),
        issued_at: Set(v.issued_at),
        redeemed_at: Set(v.redeemed_at),
    }
}

fn to_domain(m: vouchers::Model) -> Result<Voucher, RepositoryError> {
    let unreadable = |what: &str| RepositoryError::Unexpected(format!("voucher {} has an unreadable {what}", m.id));
    Ok(Voucher {
        id: m.id,
        code: VoucherCode::parse(&m.code).map_err(|_| unreadable("code"))?,
        status: VoucherStatus::parse(&m.status).ok_or_else(|| unreadable("status"))?,
        customer_id: m.customer_id,
        order_id: m.order_id,
        amount_cents: m.amount_cents,
        currency: m.currency.trim_end().to_owned(),
        issued_at: m.issued_at,
        redeemed_at: m.redeemed_at,
    })
}

#[async_trait]
impl VoucherRepository for SeaOrmVoucherRepository {
    #[tracing::instrument(skip_all, fields(order_id = %voucher.order_id))]
    async fn insert(&self, voucher: &Voucher) -> Result<InsertOutcome, RepositoryError> {
        // ON CONFLICT covers only order_id: a duplicate order is the expected, silent case,
        // while a duplicate code must surface so that a new code can be drawn.
        let inserted = vouchers::Entity::insert(from_domain(voucher))
            .on_conflict(OnConflict::column(vouchers::Column::OrderId).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await;
        match inserted {
            Ok(0) => Ok(InsertOutcome::OrderAlreadyHasVoucher),
            Ok(_) => Ok(InsertOutcome::Inserted),
            Err(e) if shared::db::violated_unique_constraint(&e).as_deref() == Some(CODE_CONSTRAINT) => {
                Ok(InsertOutcome::CodeTaken)
            }
            Err(e) => Err(repository_error(e)),
        }
    }

    async fn find_by_code(&self, code: &VoucherCode) -> Result<Option<Voucher>, RepositoryError> {
        vouchers::Entity::find()
            .filter(vouchers::Column::Code.eq(code.as_str()))
            .one(&self.db)
            .await
            .map_err(repository_error)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, query: &VoucherQuery) -> Result<Vec<Voucher>, RepositoryError> {
        let mut select = vouchers::Entity::find();
        if let Some(customer_id) = &query.customer_id {
            select = select.filter(vouchers::Column::CustomerId.eq(customer_id));
        }
        if let Some(order_id) = query.order_id {
            select = select.filter(vouchers::Column::OrderId.eq(order_id));
        }
        select
            .order_by_desc(vouchers::Column::Id)
            .limit(query.limit)
            .all(&self.db)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    #[tracing::instrument(skip(self))]
    async fn redeem(&self, code: &VoucherCode, at: DateTime<Utc>) -> Result<RedeemOutcome, RepositoryError> {
        // A single conditional UPDATE: of concurrent redemptions, only one sees status = active.
        let mut redeemed = vouchers::Entity::update_many()
            .col_expr(vouchers::Column::Status, Expr::value(VoucherStatus::Redeemed.as_str()))
            .col_expr(vouchers::Column::RedeemedAt, Expr::value(at))
            .filter(vouchers::Column::Code.eq(code.as_str()))
            .filter(vouchers::Column::Status.eq(VoucherStatus::Active.as_str()))
            .exec_with_returning(&self.db)
            .await
            .map_err(repository_error)?;
        if let Some(model) = redeemed.pop() {
            return Ok(RedeemOutcome::Redeemed(to_domain(model)?));
        }
        Ok(match self.find_by_code(code).await? {
            Some(voucher) => RedeemOutcome::AlreadyRedeemed(voucher),
            None => RedeemOutcome::NotFound,
        })
    }
}
