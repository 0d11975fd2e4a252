use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};

use super::{repository_error, sea_orm_order_repository::to_domain};
use crate::{
    application::repositories::{IdempotencyClaim, IdempotencyRepository, RepositoryError},
    infrastructure::entities::{idempotency_keys, orders},
};

/// Idempotency keys in PostgreSQL.
pub struct SeaOrmIdempotencyRepository {
    db: DatabaseConnection,
}

impl SeaOrmIdempotencyRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Claims a key in one statement: a new key is inserted; an existing one is taken over only
/// when it expired (24 h) or when its claim was abandoned (lock passed, not completed, same
/// body). Whatever is returned was claimed by this call; no row means someone else holds it.
const CLAIM: &str = r#"
INSERT INTO idempotency_keys (key, fingerprint, order_snapshot, created_at, locked_until)
VALUES ($1, $2, NULL, now(), now() + make_interval(secs => $3))
ON CONFLICT (key) DO UPDATE
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
impl IdempotencyRepository for SeaOrmIdempotencyRepository {
    #[tracing::instrument(skip(self, fingerprint))]
    async fn claim(&self, key: &str, fingerprint: &str, lease: Duration) -> Result<IdempotencyClaim, RepositoryError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            CLAIM,
            [key.into(), fingerprint.into(), lease.as_secs_f64().into()],
        );
        let claimed = self.db.query_one_raw(statement).await.map_err(repository_error)?;
        if claimed.is_some() {
            return Ok(IdempotencyClaim::Claimed);
        }
        let Some(existing) = idempotency_keys::Entity::find_by_id(key.to_owned())
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
                    .map_err(|e| RepositoryError::Unexpected(format!("idempotency snapshot of {key:?}: {e}")))?;
                Ok(IdempotencyClaim::Replay(to_domain(model)?))
            }
        }
    }

    async fn purge_expired(&self) -> Result<u64, RepositoryError> {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours' AND locked_until < now()",
        );
        Ok(self
            .db
            .execute_raw(statement)
            .await
            .map_err(repository_error)?
            .rows_affected())
    }

    async fn release(&self, key: &str) -> Result<(), RepositoryError> {
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::Key.eq(key))
            .filter(idempotency_keys::Column::OrderSnapshot.is_null())
            .exec(&self.db)
            .await
            .map_err(repository_error)?;
        Ok(())
    }
}
