use async_trait::async_trait;
use checkout_db::{BatchWrite, repository_error, together_or_each_alone};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::application::ports::{RepositoryError, UsageOutcome};

/// A history row to add: what an order did with a voucher of the customer named.
#[derive(Debug, Clone, Serialize)]
pub struct NewUsage {
    pub voucher_id: Uuid,
    pub customer_id: String,
    pub kind: &'static str,
    /// The nil UUID for a redemption made before redemption went through orders.
    pub order_id: Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The history rows of `$1` (a JSON array of [`NewUsage`]s, each with its index `n`), each
/// added if its voucher is that customer's and the row is not there yet; one row back per
/// input, by `n`, saying which. Of the same row given twice, the first is the one inserted.
const RECORD_USAGES: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
        n int, voucher_id uuid, customer_id text, kind text, order_id uuid, occurred_at timestamptz
    )
),
known AS (
    SELECT i.* FROM input i JOIN vouchers v ON v.id = i.voucher_id AND v.customer_id = i.customer_id
),
inserted AS (
    INSERT INTO voucher_usages (voucher_id, kind, order_id, occurred_at)
    SELECT voucher_id, kind, order_id, occurred_at FROM known
    ON CONFLICT DO NOTHING
    RETURNING voucher_id, kind, order_id
)
SELECT i.n,
       EXISTS (SELECT 1 FROM known k WHERE k.n = i.n) AS known,
       EXISTS (SELECT 1 FROM inserted x
               WHERE (x.voucher_id, x.kind, x.order_id) = (i.voucher_id, i.kind, i.order_id))
       AND i.n = (SELECT min(d.n) FROM input d
                  WHERE (d.voucher_id, d.kind, d.order_id) = (i.voucher_id, i.kind, i.order_id)) AS inserted
FROM input i
"#;

/// History rows, group-committed: the usages of the events being processed together go in
/// one statement ([`RECORD_USAGES`]) and one commit, as new vouchers do.
pub struct NewUsages;

#[derive(Serialize)]
struct Numbered<'a> {
    n: usize,
    #[serde(flatten)]
    usage: &'a NewUsage,
}

#[async_trait]
impl BatchWrite for NewUsages {
    type Request = NewUsage;
    type Output = UsageOutcome;
    const NAME: &'static str = "voucher_usage_insert";

    async fn write(
        &self,
        db: &DatabaseConnection,
        usages: Vec<NewUsage>,
    ) -> Vec<Result<UsageOutcome, RepositoryError>> {
        together_or_each_alone(Self::NAME, &usages, |batch| record(db, batch))
            .await
            .into_iter()
            .map(|outcome| outcome.map_err(repository_error))
            .collect()
    }
}

/// Each usage's outcome, in the order given.
async fn record(db: &DatabaseConnection, usages: &[NewUsage]) -> Result<Vec<UsageOutcome>, sea_orm::DbErr> {
    let numbered: Vec<_> = usages
        .iter()
        .enumerate()
        .map(|(n, usage)| Numbered { n, usage })
        .collect();
    let batch = serde_json::to_value(numbered).expect("usages serialize to JSON");
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, RECORD_USAGES, [batch.into()]);
    let rows = db.query_all_raw(statement).await?;
    let mut outcomes = vec![None; usages.len()];
    for row in rows {
        let n: i32 = row.try_get("", "n")?;
        let known: bool = row.try_get("", "known")?;
        let inserted: bool = row.try_get("", "inserted")?;
        let outcome = match (known, inserted) {
            (false, _) => UsageOutcome::UnknownVoucher,
            (true, true) => UsageOutcome::Recorded,
            (true, false) => UsageOutcome::AlreadyRecorded,
        };
        if let Some(slot) = usize::try_from(n).ok().and_then(|n| outcomes.get_mut(n)) {
            *slot = Some(outcome);
        }
    }
    outcomes
        .into_iter()
        .map(|outcome| outcome.ok_or_else(|| sea_orm::DbErr::Custom("RECORD_USAGES left a usage out".into())))
        .collect()
}
