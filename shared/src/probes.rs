//! Readiness checks of the two backing services both services depend on.

use sea_orm::DatabaseConnection;

use crate::http::DependencyCheck;

/// PostgreSQL answers a ping.
pub struct DatabaseCheck(pub DatabaseConnection);

#[async_trait::async_trait]
impl DependencyCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

/// Redis answers PING.
pub struct RedisCheck(pub std::sync::Arc<crate::bus::LazyConnection>);

#[async_trait::async_trait]
impl DependencyCheck for RedisCheck {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), String> {
        let mut conn = self.0.get().await.map_err(|e| e.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
