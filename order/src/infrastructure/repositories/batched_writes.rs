//! The two writes of the order service that are group-committed ([`GroupCommit`]): new orders
//! and status changes (each with its outbox event).

use std::collections::HashSet;

use async_trait::async_trait;
use checkout_contract::events::OrderEvent;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

use checkout_db::{BatchWrite, together_or_each_alone};

use super::{repository_error, rows::StoredItem};
use crate::application::ports::RepositoryError;

/// A new order's row, as the batch's JSON carries it to [`INSERT_ORDERS`], with its
/// `order.placed` event if it uses a voucher.
#[derive(Debug, Serialize)]
pub struct NewOrderRow {
    pub id: Uuid,
    pub customer_id: String,
    pub items: Vec<StoredItem>,
    pub total_cents: i64,
    pub currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_id: Option<Uuid>,
    pub discount_cents: i64,
    pub status: &'static str,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventRow>,
}

/// The insert of a batch of new orders, as one statement: `$1` is the batch as a JSON array
/// of [`NewOrderRow`]s. An order that uses a voucher holds it first, only if no order holds
/// it and it is the order's customer's (row locks make concurrent holds of one voucher wait
/// for each other and re-check; two orders of one batch cannot both hold it); an order whose
/// hold failed is not inserted. The ids of the orders inserted come back. One statement text
/// whatever the batch's size, so every connection prepares it once.
const INSERT_ORDERS: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
        id uuid, customer_id text, items jsonb, total_cents bigint, currency text,
        voucher_id uuid, discount_cents bigint, status text,
        created_at timestamptz, updated_at timestamptz, event jsonb
    )
),
held AS (
    UPDATE vouchers v SET held_by = i.id
    FROM input i
    WHERE v.id = i.voucher_id AND v.held_by IS NULL AND v.customer_id = i.customer_id
    RETURNING i.id
),
placed AS (
    INSERT INTO orders (id, customer_id, items, total_cents, currency, voucher_id, discount_cents,
                        status, created_at, updated_at)
    SELECT id, customer_id, items, total_cents, currency, voucher_id, discount_cents,
           status, created_at, updated_at
    FROM input i
    WHERE i.voucher_id IS NULL OR i.id IN (SELECT id FROM held)
    RETURNING id
),
events AS (
    INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
    SELECT (i.event->>'event_id')::uuid, i.id, i.event->>'event_type', i.event->'payload',
           (i.event->>'occurred_at')::timestamptz, (i.event->>'occurred_at')::timestamptz
    FROM input i JOIN placed p ON p.id = i.id
    WHERE i.event IS NOT NULL
    RETURNING aggregate_id
)
SELECT id FROM placed
"#;

/// New orders without an idempotency key: one statement per batch; if it fails, the rows are
/// written one by one, so a bad row fails alone. The output says whether the order was
/// stored (`false`: its voucher was taken).
pub struct NewOrders;

#[async_trait]
impl BatchWrite for NewOrders {
    type Request = NewOrderRow;
    type Output = bool;
    const NAME: &'static str = "order_insert";

    async fn write(&self, db: &DatabaseConnection, rows: Vec<NewOrderRow>) -> Vec<Result<bool, RepositoryError>> {
        together_or_each_alone(Self::NAME, &rows, |batch: &[NewOrderRow]| async move {
            let placed = insert_orders(db, batch).await?;
            Ok(batch.iter().map(|row| placed.contains(&row.id)).collect())
        })
        .await
    }
}

/// Writes `rows` with [`INSERT_ORDERS`] on `db` (a pool, or the transaction of a keyed
/// creation); the ids of the orders inserted.
pub async fn insert_orders(db: &impl ConnectionTrait, rows: &[NewOrderRow]) -> Result<HashSet<Uuid>, RepositoryError> {
    ids(db, with_batch(INSERT_ORDERS, rows)).await
}

/// A status change's row, as the batch's JSON carries it to [`CHANGE_STATUSES`]: the order's new status, only if its stored one is still `expected`
/// (compare-and-set), and the event it emits, stored only with the change.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub status: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub expected: String,
    /// The voucher the order holds, if any: it follows the order's new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventRow>,
}

/// The outbox row of an event.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

impl EventRow {
    pub fn of(event: &OrderEvent) -> Self {
        Self {
            event_id: event.event_id(),
            event_type: event.event_type().to_owned(),
            payload: serde_json::to_value(event).expect("events serialize to JSON"),
            occurred_at: event.occurred_at(),
        }
    }
}

/// The compare-and-set of a batch of orders, the insert of their events and what becomes of
/// their vouchers, as one statement (atomic, one round trip, one commit): `$1` is the batch
/// as a JSON array of [`StatusChangeRow`]s (one per order), and the ids of the orders changed
/// come back. An order that became `sent` spends the voucher it holds; one that became
/// `cancelled` gives it back (only an open order can be cancelled, so it was not spent).
const CHANGE_STATUSES: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
        id uuid, status text, updated_at timestamptz, expected text,
        voucher_id uuid, event jsonb
    )
),
updated AS (
    UPDATE orders o SET status = i.status, updated_at = i.updated_at
    FROM input i
    WHERE o.id = i.id AND o.status = i.expected
    RETURNING o.id
),
events AS (
    INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
    SELECT (i.event->>'event_id')::uuid, i.id, i.event->>'event_type', i.event->'payload',
           (i.event->>'occurred_at')::timestamptz, (i.event->>'occurred_at')::timestamptz
    FROM input i JOIN updated u ON u.id = i.id
    WHERE i.event IS NOT NULL
    RETURNING aggregate_id
),
redeemed AS (
    UPDATE vouchers v SET redeemed = true
    FROM input i JOIN updated u ON u.id = i.id
    WHERE v.id = i.voucher_id AND v.held_by = i.id AND i.status = 'sent'
    RETURNING v.id
),
released AS (
    UPDATE vouchers v SET held_by = NULL
    FROM input i JOIN updated u ON u.id = i.id
    WHERE v.id = i.voucher_id AND v.held_by = i.id AND i.status = 'cancelled' AND NOT v.redeemed
    RETURNING v.id
)
SELECT id FROM updated
"#;

/// Status changes in batches of distinct orders (two changes of one order in one statement
/// would race inside it), each batch one statement; a batch that fails is written change by
/// change, so one bad change fails alone. The output says whether the change was made.
pub struct StatusChanges;

#[async_trait]
impl BatchWrite for StatusChanges {
    type Request = StatusChangeRow;
    type Output = bool;
    const NAME: &'static str = "order_status_change";

    async fn write(
        &self,
        db: &DatabaseConnection,
        changes: Vec<StatusChangeRow>,
    ) -> Vec<Result<bool, RepositoryError>> {
        let mut results: Vec<Option<Result<bool, RepositoryError>>> = changes.iter().map(|_| None).collect();
        let mut left: Vec<usize> = (0..changes.len()).collect();
        while !left.is_empty() {
            let mut ids = HashSet::new();
            let (round, later): (Vec<usize>, Vec<usize>) = left.iter().partition(|&&i| ids.insert(changes[i].id));
            let batch: Vec<&StatusChangeRow> = round.iter().map(|&i| &changes[i]).collect();
            let changed = together_or_each_alone(Self::NAME, &batch, |batch: &[&StatusChangeRow]| async move {
                let changed = change_statuses(db, batch).await?;
                Ok(batch.iter().map(|change| changed.contains(&change.id)).collect())
            })
            .await;
            for (&i, change) in round.iter().zip(changed) {
                results[i] = Some(change);
            }
            left = later;
        }
        results
            .into_iter()
            .map(|r| r.expect("every change has a result"))
            .collect()
    }
}

async fn change_statuses(
    db: &DatabaseConnection,
    batch: &[&StatusChangeRow],
) -> Result<HashSet<Uuid>, RepositoryError> {
    ids(db, with_batch(CHANGE_STATUSES, batch)).await
}

/// The `id` column of what `statement` returns.
async fn ids(db: &impl ConnectionTrait, statement: Statement) -> Result<HashSet<Uuid>, RepositoryError> {
    let rows = db.query_all_raw(statement).await.map_err(repository_error)?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id").map_err(repository_error))
        .collect()
}

/// `sql` with a batch as its one parameter, `$1`: the rows as a JSON array, serialized
/// straight to text (PostgreSQL casts it with `$1::jsonb`).
fn with_batch<T: Serialize>(sql: &str, rows: &[T]) -> Statement {
    let json = serde_json::to_string(rows).expect("batch rows serialize to JSON");
    Statement::from_sql_and_values(DbBackend::Postgres, sql, [json.into()])
}
