//! The service's database as `serve` reaches it, and its readiness check.

use anyhow::Context as _;
use checkout_runtime::DependencyCheck;
use sea_orm::DatabaseConnection;

use crate::DatabaseUrl;

/// The service's PostgreSQL database, as the role `serve` runs with: it may read and write
/// rows, not change the schema. Each service declares the variables (`ORDER_DATABASE_URL`,
/// `ORDER_DB_MAX_CONNECTIONS`) in its own settings.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    /// Connections in the pool.
    pub max_connections: u32,
    /// The variable of `max_connections`, named in the connection budget's warning.
    pub max_connections_variable: &'static str,
}

impl DatabaseSettings {
    /// Opens the service's pool and logs whether it fits the database's connection limit.
    ///
    /// # Errors
    /// The database cannot be reached; the message names the URL's variable.
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        let db = crate::connect(&self.url, self.max_connections)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", self.url.variable()))?;
        crate::log_connection_budget(&db, self.max_connections, self.max_connections_variable).await;
        Ok(db)
    }
}

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
