use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use shared::events::OrderSent;
use tokio::sync::Notify;
use uuid::Uuid;

use super::repository_error;
use crate::{
    application::{
        dto::{Order, OrderItem, OrderQuery, OrderStatus},
        repositories::{OrderRepository, RepositoryError},
    },
    infrastructure::entities::{idempotency_keys, orders},
};

/// Orders in PostgreSQL. Wakes the outbox relay (through `outbox_written`) whenever a
/// committed status change added events, so they leave without waiting for the next poll.
pub struct SeaOrmOrderRepository {
    db: DatabaseConnection,
    outbox_written: Arc<Notify>,
}

impl SeaOrmOrderRepository {
    pub fn new(db: DatabaseConnection, outbox_written: Arc<Notify>) -> Self {
        Self { db, outbox_written }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredItem {
    sku: String,
    quantity: i32,
    unit_price_cents: i64,
}

/// The row an order is stored as; also the form of idempotency snapshots.
pub(super) fn to_model(order: &Order) -> orders::Model {
    let items: Vec<_> = order
        .items
        .iter()
        .map(|i| StoredItem {
            sku: i.sku.clone(),
            quantity: i.quantity,
            unit_price_cents: i.unit_price_cents,
        })
        .collect();
    orders::Model {
        id: order.id,
        customer_id: order.customer_id.clone(),
        items: serde_json::to_value(items).expect("items serialize to JSON"),
        total_cents: order.total_cents,
        currency: order.currency.clone(),
        status: order.status.as_str().to_owned(),
        created_at: order.created_at,
        updated_at: order.updated_at,
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

pub(super) fn to_domain(model: orders::Model) -> Result<Order, RepositoryError> {
    let status = OrderStatus::parse(&model.status).ok_or_else(|| {
        RepositoryError::Unexpected(format!("order {} has unknown status {:?}", model.id, model.status))
    })?;
    let items: Vec<StoredItem> = serde_json::from_value(model.items)
        .map_err(|e| RepositoryError::Unexpected(format!("order {} has unreadable items: {e}", model.id)))?;
    Ok(Order {
        id: model.id,
        customer_id: model.customer_id,
        items: items
            .into_iter()
            .map(|i| OrderItem {
                sku: i.sku,
                quantity: i.quantity,
                unit_price_cents: i.unit_price_cents,
            })
            .collect(),
        total_cents: model.total_cents,
        currency: model.currency.trim_end().to_owned(),
        status,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// The compare-and-set of the status and the outbox insert as one statement (atomic on its
/// own, and one round trip instead of four): the CTE yields the order only if its status was
/// still `expected`, and the events are inserted only alongside it. Returns a row per change.
fn status_change(order: &Order, expected: OrderStatus, events: &[OrderSent]) -> Statement {
    const UPDATE: &str = "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING id";
    let mut values: Vec<sea_orm::Value> = vec![
        order.status.as_str().into(),
        order.updated_at.into(),
        order.id.into(),
        expected.as_str().into(),
    ];
    if events.is_empty() {
        return Statement::from_sql_and_values(DbBackend::Postgres, UPDATE, values);
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let n = values.len();
        rows.push(format!(
            "(${}::uuid, ${}::uuid, ${}, ${}::jsonb, ${}::timestamptz)",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5
        ));
        values.extend([
            event.event_id.into(),
            event.order_id.into(),
            event.event_type.clone().into(),
            serde_json::to_value(event).expect("events serialize to JSON").into(),
            event.occurred_at.into(),
        ]);
    }
    let sql = format!(
        "WITH updated AS ({UPDATE}) \
         INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at) \
         SELECT v.id, v.aggregate_id, v.event_type, v.payload, v.created_at, v.created_at \
         FROM updated, (VALUES {}) AS v(id, aggregate_id, event_type, payload, created_at) \
         RETURNING id",
        rows.join(", ")
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

#[async_trait]
impl OrderRepository for SeaOrmOrderRepository {
    #[tracing::instrument(skip_all, fields(order_id = %order.id))]
    async fn insert<'a>(&self, order: &Order, idempotency_key: Option<&'a str>) -> Result<(), RepositoryError> {
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
            .filter(idempotency_keys::Column::Key.eq(key))
            .exec(&txn)
            .await
            .map_err(repository_error)?;
        txn.commit().await.map_err(repository_error)
    }

    #[tracing::instrument(skip(self))]
    async fn find(&self, id: Uuid) -> Result<Option<Order>, RepositoryError> {
        orders::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(repository_error)?
            .map(to_domain)
            .transpose()
    }

    #[tracing::instrument(skip(self))]
    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, RepositoryError> {
        let mut select = orders::Entity::find();
        if let Some(customer_id) = &query.customer_id {
            select = select.filter(orders::Column::CustomerId.eq(customer_id));
        }
        if let Some(status) = query.status {
            select = select.filter(orders::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = query.before {
            select = select.filter(orders::Column::Id.lt(before));
        }
        select
            .order_by_desc(orders::Column::Id)
            .limit(query.limit)
            .all(&self.db)
            .await
            .map_err(repository_error)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(order_id = %order.id, to = %order.status, events = events.len()))]
    async fn update_status(
        &self,
        order: &Order,
        expected: OrderStatus,
        events: &[OrderSent],
    ) -> Result<bool, RepositoryError> {
        let rows = self
            .db
            .query_all_raw(status_change(order, expected, events))
            .await
            .map_err(repository_error)?;
        if rows.is_empty() {
            return Ok(false);
        }
        if !events.is_empty() {
            self.outbox_written.notify_one();
        }
        Ok(true)
    }
}
