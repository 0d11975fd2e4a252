use std::{ops::Deref, time::Duration};

use async_trait::async_trait;
use checkout_contract::events::OrderEvent;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, RuntimeErr, Statement, TransactionTrait, sqlx,
};

use checkout_db::GroupCommit;

use super::{
    batched_writes::{EventRow, NewOrderRow, NewOrders, StatusChangeRow, StatusChanges, insert_orders},
    repository_error,
    rows::{StoredItem, stored_items},
};
use crate::{
    application::{
        domain::{
            AppliedVoucher, CallersKey, CustomerId, Order, OrderId, OrderItem, OrderQuery, OrderStatus, ProductName,
            Quantity, Sku, StoredOrder, UnitPrice,
        },
        ports::{BoxError, CreateOutcome, OrderRepository, RepositoryError},
    },
    infrastructure::entities::{idempotency_keys, orders},
};

/// Orders in PostgreSQL, with the rows written together with them: outbox events of status
/// changes and idempotency records of creations.
pub struct SeaOrmOrderRepository {
    db: DatabaseConnection,
    inserts: GroupCommit<NewOrders>,
    status_changes: GroupCommit<StatusChanges>,
}

impl SeaOrmOrderRepository {
    /// How long a creation waits for another transaction holding its idempotency key (the
    /// first request with that key, still being stored) before answering
    /// [`CreateOutcome::InFlight`]. That transaction is a few statements long, so a wait
    /// this long means it is stuck.
    pub const KEY_WAIT: Duration = Duration::from_secs(5);

    /// A transaction holding an idempotency key whose client stops talking (its host is gone,
    /// where a killed process would close the connection at once) loses its session after
    /// this, which frees the key.
    pub const KEY_HOLDER_SILENCE: Duration = Duration::from_secs(10);

    /// Writes orders created without an idempotency key, and status changes, through
    /// `writers` group-commit writers of each ([`GroupCommit`]); needs a Tokio runtime.
    pub fn new(db: DatabaseConnection, writers: usize) -> Self {
        Self {
            inserts: GroupCommit::start(NewOrders, db.clone(), writers),
            status_changes: GroupCommit::start(StatusChanges, db.clone(), writers),
            db,
        }
    }
}

/// An order as the group-committed insert writes it, with its `order.placed` event.
fn new_order_row(order: &Order, event: Option<&OrderEvent>) -> NewOrderRow {
    NewOrderRow {
        id: order.id().as_uuid(),
        customer_id: order.customer_id().as_str().to_owned(),
        items: stored_items(order),
        total_cents: order.total().amount.get(),
        currency: order.total().currency.code(),
        voucher_id: order.voucher().map(|v| v.id),
        discount_cents: order.discount().amount.get(),
        status: order.status().as_str(),
        created_at: order.created_at(),
        updated_at: order.updated_at(),
        event: event.map(EventRow::of),
    }
}

/// The row an order is stored as; also the form of idempotency snapshots.
fn to_model(order: &Order) -> orders::Model {
    orders::Model {
        id: order.id().as_uuid(),
        customer_id: order.customer_id().as_str().to_owned(),
        items: serde_json::to_value(stored_items(order)).expect("items serialize to JSON"),
        total_cents: order.total().amount.get(),
        currency: order.total().currency.code().to_owned(),
        voucher_id: order.voucher().map(|v| v.id),
        discount_cents: order.discount().amount.get(),
        status: order.status().as_str().to_owned(),
        created_at: order.created_at(),
        updated_at: order.updated_at(),
    }
}

/// The order a row holds, checked by the domain; a row it refuses is a corrupt row.
fn to_domain(model: orders::Model) -> Result<Order, RepositoryError> {
    let id = model.id;
    let corrupt = |e: BoxError| RepositoryError::corrupt(format!("order {id}"), e);
    let item = |i: StoredItem| -> Result<OrderItem, BoxError> {
        Ok(OrderItem {
            name: ProductName::parse(i.name.as_deref().unwrap_or(&i.sku))?,
            sku: Sku::parse(i.sku)?,
            quantity: Quantity::new(i.quantity)?,
            unit_price: UnitPrice::new(i.unit_price_cents)?,
        })
    };
    let stored: Vec<StoredItem> = serde_json::from_value(model.items).map_err(|e| corrupt(e.into()))?;
    let stored = StoredOrder {
        id: OrderId::from_uuid(id),
        customer_id: CustomerId::parse(model.customer_id).map_err(|e| corrupt(e.into()))?,
        items: stored
            .into_iter()
            .map(item)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        total: checkout_domain::Cents::new(model.total_cents).map_err(|e| corrupt(e.into()))?,
        currency: model
            .currency
            .trim_end()
            .parse()
            .map_err(|e: checkout_domain::UnsupportedCurrency| corrupt(e.into()))?,
        voucher: match model.voucher_id {
            Some(voucher) => Some(AppliedVoucher {
                id: voucher,
                discount: checkout_domain::Cents::new(model.discount_cents).map_err(|e| corrupt(e.into()))?,
            }),
            None => None,
        },
        status: model
            .status
            .parse()
            .map_err(|e: crate::application::domain::UnknownStatus| corrupt(e.into()))?,
        created_at: model.created_at,
        updated_at: model.updated_at,
    };
    Order::restore(stored).map_err(|e| corrupt(e.into()))
}

/// Records a key with its order's snapshot, inside the order's transaction. On a conflict
/// PostgreSQL first waits for a concurrent transaction that inserted the same key to end:
/// committed, the key is taken (no row returned: replay or mismatch); rolled back, the row
/// is inserted here. A key past its 24 hours is taken over. `locked_until` only matters for
/// claims committed on their own by earlier versions (no snapshot): those are taken over,
/// as those versions did, once their lease ran out; rows written here hold their creation
/// time in it.
const RECORD_KEY: &str = r#"
INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until)
VALUES ($1, $2, $3, $4, now(), now())
ON CONFLICT (caller, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint,
    order_snapshot = EXCLUDED.order_snapshot,
    created_at = EXCLUDED.created_at,
    locked_until = EXCLUDED.locked_until
WHERE idempotency_keys.created_at < now() - interval '24 hours'
   OR (idempotency_keys.order_snapshot IS NULL
       AND idempotency_keys.locked_until < now()
       AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
RETURNING key
"#;

/// Bounds, for this transaction only, the wait for a key's holder and the silence of a
/// holder (see [`SeaOrmOrderRepository::KEY_WAIT`] and
/// [`SeaOrmOrderRepository::KEY_HOLDER_SILENCE`]).
fn key_timeouts() -> Statement {
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true)",
        [
            ms(SeaOrmOrderRepository::KEY_WAIT).into(),
            ms(SeaOrmOrderRepository::KEY_HOLDER_SILENCE).into(),
        ],
    )
}

/// `55P03 lock_not_available`: `lock_timeout` ran out.
fn is_lock_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(e.deref(), sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03"))
        }
        _ => false,
    }
}

impl SeaOrmOrderRepository {
    /// The order and its key in one transaction, the order written by the group-committed
    /// insert's own statement (with its voucher's hold and its event); see [`RECORD_KEY`]
    /// and [`INSERT_ORDERS`](super::batched_writes).
    async fn create_with_key(
        &self,
        order: &Order,
        event: Option<&OrderEvent>,
        key: &CallersKey,
        fingerprint: &str,
    ) -> Result<CreateOutcome, RepositoryError> {
        let txn = self.db.begin().await.map_err(repository_error)?;
        txn.query_one_raw(key_timeouts()).await.map_err(repository_error)?;
        let snapshot = serde_json::to_value(to_model(order)).expect("orders serialize to JSON");
        let record = Statement::from_sql_and_values(
            DbBackend::Postgres,
            RECORD_KEY,
            [
                key.caller().into(),
                key.key().into(),
                fingerprint.into(),
                snapshot.into(),
            ],
        );
        match txn.query_one_raw(record).await {
            Ok(Some(_)) => {}
            Ok(None) => return existing_key(txn, key, fingerprint).await,
            Err(e) if is_lock_timeout(&e) => {
                tracing::info!(wait = ?Self::KEY_WAIT, "idempotency key still held by another request");
                txn.rollback().await.map_err(repository_error)?;
                return Ok(CreateOutcome::InFlight);
            }
            Err(e) => return Err(repository_error(e)),
        }
        if insert_orders(&txn, &[new_order_row(order, event)]).await?.is_empty() {
            txn.rollback().await.map_err(repository_error)?;
            return Ok(CreateOutcome::VoucherTaken);
        }
        txn.commit().await.map_err(repository_error)?;
        Ok(CreateOutcome::Created)
    }
}

/// What the committed record of `key` says about a request with `fingerprint`; the
/// transaction wrote nothing and is rolled back.
async fn existing_key(
    txn: DatabaseTransaction,
    key: &CallersKey,
    fingerprint: &str,
) -> Result<CreateOutcome, RepositoryError> {
    let existing = idempotency_keys::Entity::find_by_id((key.caller().to_owned(), key.key().to_owned()))
        .one(&txn)
        .await
        .map_err(repository_error)?
        // The conflict locked the row for this transaction: it cannot have gone.
        .ok_or_else(|| RepositoryError::Unexpected("a conflicting idempotency key vanished".into()))?;
    txn.rollback().await.map_err(repository_error)?;
    outcome_of(existing, key, fingerprint)
}

/// What a committed key record says about a request with `fingerprint`.
fn outcome_of(
    existing: idempotency_keys::Model,
    key: &CallersKey,
    fingerprint: &str,
) -> Result<CreateOutcome, RepositoryError> {
    if existing.fingerprint != fingerprint {
        return Ok(CreateOutcome::Mismatch);
    }
    match existing.order_snapshot {
        // A claim of an earlier version, still under its lease.
        None => Ok(CreateOutcome::InFlight),
        Some(snapshot) => {
            let model: orders::Model = serde_json::from_value(snapshot)
                .map_err(|e| RepositoryError::corrupt(format!("idempotency snapshot of {:?}", key.key()), e))?;
            Ok(CreateOutcome::Replay(to_domain(model)?))
        }
    }
}

#[async_trait]
impl OrderRepository for SeaOrmOrderRepository {
    #[tracing::instrument(skip_all, fields(order_id = %order.id()))]
    async fn create<'a>(
        &self,
        order: &Order,
        event: Option<&'a OrderEvent>,
        idempotency_key: Option<(&'a CallersKey, &'a str)>,
    ) -> Result<CreateOutcome, RepositoryError> {
        if let Some((key, fingerprint)) = idempotency_key {
            return self.create_with_key(order, event, key, fingerprint).await;
        }
        if self.inserts.submit(new_order_row(order, event)).await? {
            Ok(CreateOutcome::Created)
        } else {
            Ok(CreateOutcome::VoucherTaken)
        }
    }

    #[tracing::instrument(skip_all)]
    async fn recorded<'a>(
        &self,
        key: &'a CallersKey,
        fingerprint: &'a str,
    ) -> Result<Option<CreateOutcome>, RepositoryError> {
        let existing = idempotency_keys::Entity::find_by_id((key.caller().to_owned(), key.key().to_owned()))
            .one(&self.db)
            .await
            .map_err(repository_error)?;
        // As RECORD_KEY: a key past its 24 hours, or an earlier version's claim whose lease
        // ran out, is free.
        let day_ago = chrono::Utc::now() - chrono::Duration::hours(24);
        match existing {
            Some(row) if row.created_at < day_ago => Ok(None),
            Some(row) if row.order_snapshot.is_none() && row.locked_until < chrono::Utc::now() => Ok(None),
            Some(row) => outcome_of(row, key, fingerprint).map(Some),
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip(self))]
    async fn find(&self, id: OrderId) -> Result<Option<Order>, RepositoryError> {
        orders::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(repository_error)?
            .map(to_domain)
            .transpose()
    }

    #[tracing::instrument(skip(self))]
    async fn list(&self, query: &OrderQuery, limit: u64) -> Result<Vec<Order>, RepositoryError> {
        let mut select = orders::Entity::find();
        if let Some(customer_id) = &query.customer_id {
            select = select.filter(orders::Column::CustomerId.eq(customer_id.as_str()));
        }
        if let Some(status) = query.status {
            select = select.filter(orders::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = query.before {
            select = select.filter(orders::Column::Id.lt(before.as_uuid()));
        }
        select
            .order_by_desc(orders::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(order_id = %order.id(), to = %order.status(), event = event.is_some()))]
    async fn save_transition<'a>(
        &self,
        order: &Order,
        expected: OrderStatus,
        event: Option<&'a OrderEvent>,
    ) -> Result<bool, RepositoryError> {
        let change = StatusChangeRow {
            id: order.id().as_uuid(),
            status: order.status().as_str().to_owned(),
            updated_at: order.updated_at(),
            expected: expected.as_str().to_owned(),
            voucher_id: order.voucher().map(|v| v.id),
            event: event.map(EventRow::of),
        };
        self.status_changes.submit(change).await
    }

    async fn purge_expired_keys(&self) -> Result<u64, RepositoryError> {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        );
        checkout_db::rows_affected(&self.db, statement).await
    }
}
