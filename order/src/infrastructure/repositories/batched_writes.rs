//! The two writes of the order service that are group-committed ([`GroupCommit`]): new orders
//! and status changes (each with its outbox event).

use std::collections::HashSet;

use async_trait::async_trait;
use checkout_contract::events::OrderSent;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

use checkout_db::BatchWrite;

use super::{repository_error, rows::StoredItem};
use crate::application::ports::RepositoryError;

/// A new order's row, as the batch's JSON carries it to [`INSERT_ORDERS`].
#[derive(Debug, Serialize)]
pub struct NewOrderRow {
    pub id: Uuid,
    pub customer_id: String,
    pub items: Vec<StoredItem>,
    pub total_cents: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The insert of a batch of new orders: `$1` is the batch as a JSON array of
/// [`NewOrderRow`]s. One statement text whatever the batch's size, so every connection
/// prepares it once.
const INSERT_ORDERS: &str = r#"
INSERT INTO orders (id, customer_id, items, total_cents, currency, status, created_at, updated_at)
SELECT id, customer_id, items, total_cents, currency, status, created_at, updated_at
FROM jsonb_to_recordset($1::jsonb) AS r(
    id uuid, customer_id text, items jsonb, total_cents bigint, currency text, status text,
    created_at timestamptz, updated_at timestamptz
)
"#;

/// New orders without an idempotency key: one `INSERT` per batch; if it fails, the rows are
/// written one by one, so a bad row fails alone.
pub struct NewOrders;

#[async_trait]
impl BatchWrite for NewOrders {
    type Request = NewOrderRow;
    type Output = ();
    const NAME: &'static str = "order_insert";

    async fn write(&self, db: &DatabaseConnection, rows: Vec<NewOrderRow>) -> Vec<Result<(), RepositoryError>> {
        if rows.len() > 1 {
            match insert_orders(db, &rows).await {
                Ok(()) => return rows.iter().map(|_| Ok(())).collect(),
                Err(e) => {
                    tracing::debug!(error.message = %e, rows = rows.len(), "batch insert failed; writing its rows one by one")
                }
            }
        }
        let mut results = Vec::with_capacity(rows.len());
        for row in &rows {
            results.push(insert_orders(db, std::slice::from_ref(row)).await);
        }
        results
    }
}

async fn insert_orders(db: &DatabaseConnection, rows: &[NewOrderRow]) -> Result<(), RepositoryError> {
    let statement = with_batch(INSERT_ORDERS, rows);
    db.execute_raw(statement).await.map_err(repository_error)?;
    Ok(())
}

/// A status change's row, as the batch's JSON carries it to [`CHANGE_STATUSES`]: the order's new status, only if its stored one is still `expected`
/// (compare-and-set), and the event it emits, stored only with the change.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub status: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub expected: String,
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
    pub fn of(event: &OrderSent) -> Self {
        Self {
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            payload: serde_json::to_value(event).expect("events serialize to JSON"),
            occurred_at: event.occurred_at,
        }
    }
}

/// The compare-and-set of a batch of orders and the insert of their events, as one statement
/// (atomic, one round trip, one commit): `$1` is the batch as a JSON array of
/// [`StatusChangeRow`]s (one per order), and the ids of the orders changed come back.
const CHANGE_STATUSES: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
        id uuid, status text, updated_at timestamptz, expected text,
        event jsonb
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
            match change_statuses(db, &batch).await {
                Ok(changed) => {
                    for (&i, change) in round.iter().zip(&batch) {
                        results[i] = Some(Ok(changed.contains(&change.id)));
                    }
                }
                Err(e) if batch.len() == 1 => results[round[0]] = Some(Err(e)),
                Err(e) => {
                    tracing::debug!(error.message = %e, changes = batch.len(), "batch status change failed; writing its changes one by one");
                    for &i in &round {
                        results[i] = Some(
                            change_statuses(db, &[&changes[i]])
                                .await
                                .map(|changed| !changed.is_empty()),
                        );
                    }
                }
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
    let statement = with_batch(CHANGE_STATUSES, batch);
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
