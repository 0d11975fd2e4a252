use async_trait::async_trait;
use checkout_db::{BatchWrite, repository_error, together_or_each_alone};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::application::ports::{InsertOutcome, RepositoryError};

/// The unique constraint on voucher codes: a collision there means "draw another code".
pub const CODE_CONSTRAINT: &str = "vouchers_code_key";

/// A voucher to store, with its `voucher.issued` event for the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct NewVoucher {
    pub id: Uuid,
    pub code: String,
    pub customer_id: String,
    pub order_id: Uuid,
    pub amount_cents: i64,
    pub currency: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The event in its wire form.
    pub event: serde_json::Value,
}

/// The vouchers of `$1` (a JSON array of [`NewVoucher`]s) and, for each one inserted, its
/// event in the outbox: one statement, so a voucher is never stored without its event. A
/// voucher whose order already has one is skipped (`ON CONFLICT (order_id) DO NOTHING`) and
/// so is its event; a code taken fails the statement. The ids inserted come back.
const INSERT_VOUCHERS: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
        id uuid, code text, customer_id text, order_id uuid, amount_cents bigint,
        currency text, issued_at timestamptz, expires_at timestamptz, event jsonb
    )
),
inserted AS (
    INSERT INTO vouchers (id, code, customer_id, order_id, amount_cents, currency, issued_at, expires_at)
    SELECT id, code, customer_id, order_id, amount_cents, currency, issued_at, expires_at FROM input
    ON CONFLICT (order_id) DO NOTHING
    RETURNING id
),
announced AS (
    INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at)
    SELECT (i.event->>'event_id')::uuid, i.id, i.event->>'event_type', i.event, now(), now()
    FROM input i JOIN inserted USING (id)
    RETURNING 1
)
SELECT id FROM inserted
"#;

/// New vouchers, group-committed: the vouchers of the events being processed together go in
/// one statement ([`INSERT_VOUCHERS`]). A batch that fails (a code taken, which only the row
/// concerned should learn) is written row by row ([`together_or_each_alone`]).
pub struct NewVouchers;

#[async_trait]
impl BatchWrite for NewVouchers {
    type Request = NewVoucher;
    type Output = InsertOutcome;
    const NAME: &'static str = "voucher_insert";

    async fn write(
        &self,
        db: &DatabaseConnection,
        rows: Vec<NewVoucher>,
    ) -> Vec<Result<InsertOutcome, RepositoryError>> {
        let stored = together_or_each_alone(Self::NAME, &rows, |batch: &[NewVoucher]| async move {
            let inserted = insert(db, batch).await?;
            Ok(batch
                .iter()
                .map(|row| {
                    if inserted.contains(&row.id) {
                        InsertOutcome::Inserted
                    } else {
                        InsertOutcome::OrderAlreadyHasVoucher
                    }
                })
                .collect())
        })
        .await;
        // ON CONFLICT covers only order_id: a duplicate order is the expected, silent case,
        // while a duplicate code must surface so that a new code can be drawn.
        stored
            .into_iter()
            .map(|outcome| match outcome {
                Err(e) if checkout_db::violated_unique_constraint(&e).as_deref() == Some(CODE_CONSTRAINT) => {
                    Ok(InsertOutcome::CodeTaken)
                }
                outcome => outcome.map_err(repository_error),
            })
            .collect()
    }
}

/// The ids of the vouchers inserted (one whose order already has a voucher is not).
async fn insert(db: &DatabaseConnection, rows: &[NewVoucher]) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    let batch = serde_json::to_value(rows).expect("new vouchers serialize to JSON");
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, INSERT_VOUCHERS, [batch.into()]);
    let rows = db.query_all_raw(statement).await?;
    rows.iter().map(|row| row.try_get::<Uuid>("", "id")).collect()
}
