use async_trait::async_trait;
use checkout_contract::events::VoucherIssued;
use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use checkout_db::{GroupCommit, repository_error};
use checkout_domain::Cents;

use super::{
    new_usages::{NewUsage, NewUsages},
    new_vouchers::{NewVoucher, NewVouchers},
};

use crate::{
    application::{
        domain::{CustomerId, Money, OrderId, StoredVoucher, Usage, Voucher, VoucherCode, VoucherId, VoucherQuery},
        ports::{BoxError, InsertOutcome, RepositoryError, UsageOutcome, VoucherRepository},
    },
    infrastructure::entities::{voucher_usages, vouchers},
};

/// Vouchers in PostgreSQL.
pub struct SeaOrmVoucherRepository {
    db: DatabaseConnection,
    inserts: GroupCommit<NewVouchers>,
    usages: GroupCommit<NewUsages>,
}

impl SeaOrmVoucherRepository {
    /// Writes new vouchers and history rows through `writers` group-commit writers each
    /// ([`NewVouchers`], [`NewUsages`]); needs a Tokio runtime.
    pub fn new(db: DatabaseConnection, writers: usize) -> Self {
        Self {
            inserts: GroupCommit::start(NewVouchers, db.clone(), writers),
            usages: GroupCommit::start(NewUsages, db.clone(), writers),
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
        issued_at: v.issued_at(),
        expires_at: v.expires_at(),
        event: serde_json::to_value(event).expect("events serialize to JSON"),
    }
}

/// The order of a history row: the nil UUID stands for a redemption made before redemption
/// went through orders.
fn usage_of(row: voucher_usages::Model) -> Result<Usage, RepositoryError> {
    Ok(Usage {
        kind: row
            .kind
            .parse()
            .map_err(|e: crate::application::domain::UnknownUsageKind| {
                RepositoryError::corrupt(format!("history of voucher {}", row.voucher_id), e)
            })?,
        order_id: (!row.order_id.is_nil()).then(|| OrderId::from_uuid(row.order_id)),
        at: row.occurred_at,
    })
}

/// The voucher a row holds with its `history`, checked by the domain; a row it refuses is a
/// corrupt row.
fn to_domain(m: vouchers::Model, history: Vec<Usage>) -> Result<Voucher, RepositoryError> {
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
        issued_at: m.issued_at,
        expires_at: m.expires_at,
        history,
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
        let found = vouchers::Entity::find()
            .filter(vouchers::Column::Code.eq(code.as_str()))
            .one(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(self.with_history(found.into_iter().collect()).await?.pop())
    }

    async fn list(&self, query: &VoucherQuery) -> Result<Vec<Voucher>, RepositoryError> {
        let mut select = vouchers::Entity::find();
        if let Some(customer_id) = query.customer_id() {
            select = select.filter(vouchers::Column::CustomerId.eq(customer_id.as_str()));
        }
        if let Some(order_id) = query.order_id() {
            select = select.filter(vouchers::Column::OrderId.eq(order_id));
        }
        let rows = select
            .order_by_desc(vouchers::Column::Id)
            .limit(query.limit().get())
            .all(&self.db)
            .await
            .map_err(repository_error)?;
        self.with_history(rows).await
    }

    async fn page(&self, after: Option<VoucherId>, limit: u64) -> Result<Vec<Voucher>, RepositoryError> {
        let mut select = vouchers::Entity::find();
        if let Some(after) = after {
            select = select.filter(vouchers::Column::Id.gt(after.as_uuid()));
        }
        let rows = select
            .order_by_asc(vouchers::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(repository_error)?;
        self.with_history(rows).await
    }

    #[tracing::instrument(skip_all, fields(voucher_id = %voucher, kind = usage.kind.as_str()))]
    async fn record_usage(
        &self,
        voucher: VoucherId,
        customer: &CustomerId,
        usage: &Usage,
    ) -> Result<UsageOutcome, RepositoryError> {
        self.usages
            .submit(NewUsage {
                voucher_id: voucher.as_uuid(),
                customer_id: customer.as_str().to_owned(),
                kind: usage.kind.as_str(),
                order_id: usage.order_id.map_or(Uuid::nil(), |o| o.as_uuid()),
                occurred_at: usage.at,
            })
            .await
    }
}

impl SeaOrmVoucherRepository {
    /// The vouchers of `rows`, in their order, each with its history (one query for all).
    async fn with_history(&self, rows: Vec<vouchers::Model>) -> Result<Vec<Voucher>, RepositoryError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut histories: HashMap<Uuid, Vec<Usage>> = HashMap::new();
        let usages = voucher_usages::Entity::find()
            .filter(voucher_usages::Column::VoucherId.is_in(rows.iter().map(|r| r.id)))
            .all(&self.db)
            .await
            .map_err(repository_error)?;
        for usage in usages {
            let voucher = usage.voucher_id;
            histories.entry(voucher).or_default().push(usage_of(usage)?);
        }
        rows.into_iter()
            .map(|row| {
                let history = histories.remove(&row.id).unwrap_or_default();
                to_domain(row, history)
            })
            .collect()
    }
}
