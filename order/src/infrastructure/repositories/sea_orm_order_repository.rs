use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use shared::events::OrderSent;

use super::repository_error;
use crate::{
    application::{
        domain::{
            CallersKey, CustomerId, Order, OrderId, OrderItem, OrderQuery, OrderStatus, Quantity, Sku, StoredOrder,
            UnitPrice,
        },
        ports::{BoxError, IdempotencyClaim, OrderRepository, RepositoryError},
    },
    infrastructure::entities::{idempotency_keys, orders},
};

/// Orders in PostgreSQL, with the rows written together with them: outbox events of status
/// changes and idempotency records of creations.
pub struct SeaOrmOrderRepository {
    db: DatabaseConnection,
}

impl SeaOrmOrderRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredItem {
    sku: String,
    quantity: i64,
    unit_price_cents: i64,
}

/// The row an order is stored as; also the form of idempotency snapshots.
fn to_model(order: &Order) -> orders::Model {
    let items: Vec<_> = order
        .items()
        .iter()
        .map(|i| StoredItem {
            sku: i.sku.as_str().to_owned(),
            quantity: i64::from(i.quantity.get()),
            unit_price_cents: i.unit_price.cents().get(),
        })
        .collect();
    orders::Model {
        id: order.id().as_uuid(),
        customer_id: order.customer_id().as_str().to_owned(),
        items: serde_json::to_value(items).expect("items serialize to JSON"),
        total_cents: order.total().amount.get(),
        currency: order.total().currency.code().to_owned(),
        status: order.status().as_str().to_owned(),
        created_at: order.created_at(),
        updated_at: order.updated_at(),
    }
}

fn from_domain(order: &Order) -> orders::ActiveModel {
    let m = to_model(order);
    orders::ActiveModel {
        id: Set(m.id),
        customer_id: Set(m.customer_id),
        items: Set(m.items),
        total_cents: Set(m.total_cents),
        currency: Set(m.currency),
        status: Set(m.status),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}

/// The order a row holds, checked by the domain; a row it refuses is a corrupt row.
fn to_domain(model: orders::Model) -> Result<Order, RepositoryError> {
    let id = model.id;
    let corrupt = |e: BoxError| RepositoryError::corrupt(format!("order {id}"), e);
    let item = |i: StoredItem| -> Result<OrderItem, BoxError> {
        Ok(OrderItem {
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
        total: shared::domain::Cents::new(model.total_cents).map_err(|e| corrupt(e.into()))?,
        currency: model
            .currency
            .trim_end()
            .parse()
            .map_err(|e: shared::domain::UnsupportedCurrency| corrupt(e.into()))?,
        status: model
            .status
            .parse()
            .map_err(|e: crate::application::domain::UnknownStatus| corrupt(e.into()))?,
        created_at: model.created_at,
        updated_at: model.updated_at,
    };
    Order::restore(stored).map_err(|e| corrupt(e.into()))
}

/// The compare-and-set of the status and the outbox insert as one statement (atomic on its
/// own, and one round trip instead of four): the CTE yields the order only if its status was
/// still `expected`, and the event is inserted only alongside it. Returns a row per change.
fn status_change(order: &Order, expected: OrderStatus, event: Option<&OrderSent>) -> Statement {
    const UPDATE: &str = "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING id";
    let mut values: Vec<sea_orm::Value> = vec![
        order.status().as_str().into(),
        order.updated_at().into(),
        order.id().as_uuid().into(),
        expected.as_str().into(),
    ];
    let Some(event) = event else {
        return Statement::from_sql_and_values(DbBackend::Postgres, UPDATE, values);
    };
    values.extend([
        event.event_id.into(),
        event.order_id.into(),
        event.event_type.clone().into(),
        serde_json::to_value(event).expect("events serialize to JSON").into(),
        event.occurred_at.into(),
    ]);
    let sql = format!(
        "WITH updated AS ({UPDATE}) \
         INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at) \
         SELECT $5::uuid, $6::uuid, $7, $8::jsonb, $9::timestamptz, $9::timestamptz FROM updated \
         RETURNING id"
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Claims a key in one statement: a new key is inserted; an existing one is taken over only
/// when it expired (24 h) or when its claim was abandoned (lock passed, not completed, same
/// body). Whatever is returned was claimed by this call; no row means someone else holds it.
const CLAIM_KEY: &str = r#"
INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until)
VALUES ($4, $1, $2, NULL, now(), now() + make_interval(secs => $3))
ON CONFLICT (caller, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint,
    order_snapshot = NULL,
    created_at = EXCLUDED.created_at,
    locked_until = EXCLUDED.locked_until
WHERE idempotency_keys.created_at < now() - interval '24 hours'
   OR (idempotency_keys.order_snapshot IS NULL
       AND idempotency_keys.locked_until < now()
       AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
RETURNING key
"#;

#[async_trait]
impl OrderRepository for SeaOrmOrderRepository {
    #[tracing::instrument(skip_all, fields(order_id = %order.id()))]
    async fn create<'a>(&self, order: &Order, idempotency_key: Option<&'a CallersKey>) -> Result<(), RepositoryError> {
        let Some(key) = idempotency_key else {
            orders::Entity::insert(from_domain(order))
                .exec_without_returning(&self.db)
                .await
                .map_err(repository_error)?;
            return Ok(());
        };
        let txn = self.db.begin().await.map_err(repository_error)?;
        orders::Entity::insert(from_domain(order))
            .exec_without_returning(&txn)
            .await
            .map_err(repository_error)?;
        let snapshot = serde_json::to_value(to_model(order)).expect("orders serialize to JSON");
        idempotency_keys::Entity::update_many()
            .col_expr(idempotency_keys::Column::OrderSnapshot, Expr::value(snapshot))
            .filter(idempotency_keys::Column::Caller.eq(key.caller()))
            .filter(idempotency_keys::Column::Key.eq(key.key()))
            .exec(&txn)
            .await
            .map_err(repository_error)?;
        txn.commit().await.map_err(repository_error)
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
        event: Option<&'a OrderSent>,
    ) -> Result<bool, RepositoryError> {
        let rows = self
            .db
            .query_all_raw(status_change(order, expected, event))
            .await
            .map_err(repository_error)?;
        Ok(!rows.is_empty())
    }

    #[tracing::instrument(skip(self, fingerprint))]
    async fn claim_key(
        &self,
        key: &CallersKey,
        fingerprint: &str,
        lease: Duration,
    ) -> Result<IdempotencyClaim, RepositoryError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            CLAIM_KEY,
            [
                key.key().into(),
                fingerprint.into(),
                lease.as_secs_f64().into(),
                key.caller().into(),
            ],
        );
        let claimed = self.db.query_one_raw(statement).await.map_err(repository_error)?;
        if claimed.is_some() {
            return Ok(IdempotencyClaim::Claimed);
        }
        let Some(existing) = idempotency_keys::Entity::find_by_id((key.caller().to_owned(), key.key().to_owned()))
            .one(&self.db)
            .await
            .map_err(repository_error)?
        else {
            // Released between the two statements: the client may simply retry.
            return Ok(IdempotencyClaim::InFlight);
        };
        if existing.fingerprint != fingerprint {
            return Ok(IdempotencyClaim::Mismatch);
        }
        match existing.order_snapshot {
            None => Ok(IdempotencyClaim::InFlight),
            Some(snapshot) => {
                let model: orders::Model = serde_json::from_value(snapshot)
                    .map_err(|e| RepositoryError::corrupt(format!("idempotency snapshot of {:?}", key.key()), e))?;
                Ok(IdempotencyClaim::Replay(to_domain(model)?))
            }
        }
    }

    async fn release_key(&self, key: &CallersKey) -> Result<(), RepositoryError> {
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::Caller.eq(key.caller()))
            .filter(idempotency_keys::Column::Key.eq(key.key()))
            .filter(idempotency_keys::Column::OrderSnapshot.is_null())
            .exec(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(())
    }

    async fn purge_expired_keys(&self) -> Result<u64, RepositoryError> {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours' AND locked_until < now()",
        );
        shared::db::rows_affected(&self.db, statement).await
    }
}
