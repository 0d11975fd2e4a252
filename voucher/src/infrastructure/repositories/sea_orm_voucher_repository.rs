use async_trait::async_trait;
use checkout_contract::events::VoucherIssued;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};

use checkout_db::{GroupCommit, repository_error};
use checkout_domain::Cents;

use super::new_vouchers::{NewVoucher, NewVouchers};

use crate::{
    application::{
        domain::{CustomerId, Money, StoredVoucher, Voucher, VoucherCode, VoucherId, VoucherQuery, VoucherStatus},
        ports::{BoxError, InsertOutcome, RepositoryError, VoucherRepository},
    },
    infrastructure::entities::vouchers,
};

/// Vouchers in PostgreSQL.
pub struct SeaOrmVoucherRepository {
    db: DatabaseConnection,
    inserts: GroupCommit<NewVouchers>,
}

impl SeaOrmVoucherRepository {
    /// Writes new vouchers through `writers` group-commit writers ([`NewVouchers`]); needs a
    /// Tokio runtime.
    pub fn new(db: DatabaseConnection, writers: usize) -> Self {
        Self {
            inserts: GroupCommit::start(NewVouchers, db.clone(), writers),
            db,
        }
    }
}

fn from_domain(v: &Voucher, event: &VoucherIssued) -> NewVoucher {
    NewVoucher {
        id: v.id().as_uuid(),
        code: v.code().as_str().to_owned(),
        customer_id: v.customer_id().as_str().to_owned(),
        order_id: v.order_id(),
        amount_cents: v.value().amount.get(),
        currency: v.value().currency.code().to_owned(),
        status: v.status().as_str().to_owned(),
        issued_at: v.issued_at(),
        expires_at: v.expires_at(),
        event: serde_json::to_value(event).expect("events serialize to JSON"),
    }
}

/// The voucher a row holds, checked by the domain; a row it refuses is a corrupt row.
fn to_domain(m: vouchers::Model) -> Result<Voucher, RepositoryError> {
    let id = m.id;
    let corrupt = |e: BoxError| RepositoryError::corrupt(format!("voucher {id}"), e);
    let stored = StoredVoucher {
        id: VoucherId::from_uuid(m.id),
        code: VoucherCode::parse(&m.code).map_err(|e| corrupt(e.into()))?,
        customer_id: CustomerId::parse(m.customer_id).map_err(|e| corrupt(e.into()))?,
        order_id: m.order_id,
        value: Money::new(
            Cents::new(m.amount_cents).map_err(|e| corrupt(e.into()))?,
            m.currency
                .trim_end()
                .parse()
                .map_err(|e: checkout_domain::UnsupportedCurrency| corrupt(e.into()))?,
        ),
        status: m
            .status
            .parse()
            .map_err(|e: crate::application::domain::UnknownVoucherStatus| corrupt(e.into()))?,
        issued_at: m.issued_at,
        expires_at: m.expires_at,
        redeemed_at: m.redeemed_at,
    };
    Voucher::restore(stored).map_err(|e| corrupt(e.into()))
}

#[async_trait]
impl VoucherRepository for SeaOrmVoucherRepository {
    #[tracing::instrument(skip_all, fields(order_id = %voucher.order_id()))]
    async fn insert(&self, voucher: &Voucher, event: &VoucherIssued) -> Result<InsertOutcome, RepositoryError> {
        self.inserts.submit(from_domain(voucher, event)).await
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
        if let Some(customer_id) = query.customer_id() {
            select = select.filter(vouchers::Column::CustomerId.eq(customer_id.as_str()));
        }
        if let Some(order_id) = query.order_id() {
            select = select.filter(vouchers::Column::OrderId.eq(order_id));
        }
        select
            .order_by_desc(vouchers::Column::Id)
            .limit(query.limit().get())
            .all(&self.db)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(voucher_id = %voucher.id()))]
    async fn save_redemption(&self, voucher: &Voucher) -> Result<bool, RepositoryError> {
        // A single conditional UPDATE: of concurrent redemptions, only one sees status = active.
        let updated = vouchers::Entity::update_many()
            .col_expr(vouchers::Column::Status, Expr::value(voucher.status().as_str()))
            .col_expr(vouchers::Column::RedeemedAt, Expr::value(voucher.redeemed_at()))
            .filter(vouchers::Column::Id.eq(voucher.id().as_uuid()))
            .filter(vouchers::Column::Status.eq(VoucherStatus::Active.as_str()))
            .exec(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(updated.rows_affected == 1)
    }
}
