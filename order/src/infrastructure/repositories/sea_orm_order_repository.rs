use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, sea_query::Expr,
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
    infrastructure::entities::{idempotency_keys, orders, outbox},
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

fn outbox_row(event: &OrderSent) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: Set(event.event_id),
        aggregate_id: Set(event.order_id),
        event_type: Set(event.event_type.clone()),
        payload: Set(serde_json::to_value(event).expect("events serialize to JSON")),
        created_at: Set(event.occurred_at),
        attempts: Set(0),
        next_attempt_at: Set(event.occurred_at),
        published_at: Set(None),
    }
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
        let txn = self.db.begin().await.map_err(repository_error)?;
        let updated = orders::Entity::update_many()
            .col_expr(orders::Column::Status, Expr::value(order.status.as_str()))
            .col_expr(orders::Column::UpdatedAt, Expr::value(order.updated_at))
            .filter(orders::Column::Id.eq(order.id))
            .filter(orders::Column::Status.eq(expected.as_str()))
            .exec(&txn)
            .await
            .map_err(repository_error)?;
        if updated.rows_affected == 0 {
            txn.rollback().await.map_err(repository_error)?;
            return Ok(false);
        }
        if !events.is_empty() {
            outbox::Entity::insert_many(events.iter().map(outbox_row))
                .exec_without_returning(&txn)
                .await
                .map_err(repository_error)?;
        }
        txn.commit().await.map_err(repository_error)?;
        if !events.is_empty() {
            self.outbox_written.notify_one();
        }
        Ok(true)
    }
}
