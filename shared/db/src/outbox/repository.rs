use std::time::Duration;

use async_trait::async_trait;
use checkout_contract::trace::TraceContext;
use checkout_outbox::{Backlog, OutboxRepository, PendingEvent, RetryPolicy};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde::Deserialize;
use uuid::Uuid;

use super::entity as outbox;
use crate::{RepositoryError, repository_error};

/// A service's `outbox` table in PostgreSQL (each service's migrations create it, with the
/// same columns).
pub struct SeaOrmOutbox {
    db: DatabaseConnection,
}

impl SeaOrmOutbox {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Claims due rows by pushing their `next_attempt_at` past the lease: `$2` seconds doubled
/// per earlier attempt, at most `$3`, so that a claim lasts until the event is to be published
/// again if nothing confirms it. `SKIP LOCKED` lets concurrent relays claim disjoint batches
/// without waiting on each other. The CTE runs the row selection once, so the LIMIT holds (an
/// `id IN (subquery)` form may be re-planned into a join that claims more).
const CLAIM_DUE: &str = r#"
WITH due AS (
    SELECT id FROM outbox
    WHERE published_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o
SET attempts = o.attempts + 1,
    next_attempt_at = now() + LEAST(make_interval(secs => $2) * power(2, LEAST(o.attempts, 20)), make_interval(secs => $3))
FROM due
WHERE o.id = due.id
RETURNING o.*
"#;

/// Marks events published; one prepared statement whatever the batch size. Rows already
/// marked are skipped (every order instance hears every acknowledgement).
const MARK_PUBLISHED: &str = "UPDATE outbox SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL";

/// Makes events due again after a back-off: `$2` seconds doubled per attempt, at most `$3`.
const RETRY_LATER: &str = "UPDATE outbox \
     SET next_attempt_at = now() + LEAST(make_interval(secs => $2) * power(2, LEAST(attempts - 1, 20)), make_interval(secs => $3)) \
     WHERE id = ANY($1) AND published_at IS NULL";

/// The correlation every event of the contract carries at its top level.
#[derive(Deserialize)]
struct Correlation {
    request_id: Option<String>,
    traceparent: Option<String>,
}

fn to_pending(model: outbox::Model) -> Result<PendingEvent, RepositoryError> {
    let correlation = Correlation::deserialize(&model.payload)
        .map_err(|e| RepositoryError::corrupt(format!("outbox row {}", model.id), e))?;
    Ok(PendingEvent {
        event_id: model.id,
        event_type: model.event_type,
        aggregate_id: model.aggregate_id,
        payload: model.payload.to_string(),
        trace: TraceContext {
            request_id: correlation.request_id,
            traceparent: correlation.traceparent,
        },
        attempts: model.attempts.max(0) as u32,
    })
}

#[async_trait]
impl OutboxRepository for SeaOrmOutbox {
    async fn claim_due(&self, limit: u32, lease: RetryPolicy) -> Result<Vec<PendingEvent>, RepositoryError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            CLAIM_DUE,
            [
                i64::from(limit).into(),
                lease.first.as_secs_f64().into(),
                lease.max.as_secs_f64().into(),
            ],
        );
        let mut rows = outbox::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await
            .map_err(repository_error)?;
        rows.sort_by_key(|row| row.created_at);
        rows.into_iter().map(to_pending).collect()
    }

    async fn mark_published(&self, event_ids: &[Uuid]) -> Result<(), RepositoryError> {
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, MARK_PUBLISHED, [event_ids.to_vec().into()]);
        self.db.execute_raw(statement).await.map_err(repository_error)?;
        Ok(())
    }

    async fn purge_published(&self, retention: Duration) -> Result<u64, RepositoryError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            [retention.as_secs_f64().into()],
        );
        crate::rows_affected(&self.db, statement).await
    }

    async fn backlog(&self) -> Result<Backlog, RepositoryError> {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS events, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest \
             FROM outbox WHERE published_at IS NULL",
        );
        let row = self.db.query_one_raw(statement).await.map_err(repository_error)?;
        let Some(row) = row else { return Ok(Backlog::default()) };
        let events: i64 = row.try_get("", "events").map_err(repository_error)?;
        let oldest: Option<f64> = row.try_get("", "oldest").map_err(repository_error)?;
        Ok(Backlog {
            events: events.max(0) as u64,
            oldest_age: oldest.map(|secs| Duration::from_secs_f64(secs.max(0.0))),
        })
    }

    async fn retry_later(&self, event_ids: &[Uuid], policy: RetryPolicy) -> Result<(), RepositoryError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            RETRY_LATER,
            [
                event_ids.to_vec().into(),
                policy.first.as_secs_f64().into(),
                policy.max.as_secs_f64().into(),
            ],
        );
        self.db.execute_raw(statement).await.map_err(repository_error)?;
        Ok(())
    }
}
