use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use shared::bus::LazyConnection;

use crate::application::ports::{BusError, DeadLetters};

/// The dead-letter stream (`<channel>.dead`): events that could not be processed, each with
/// the reason, kept for a person to inspect (`XRANGE order.sent.dead - +`) and replay.
pub struct RedisDeadLetters {
    conn: Arc<LazyConnection>,
    key: String,
}

impl RedisDeadLetters {
    pub fn new(conn: Arc<LazyConnection>, key: String) -> Self {
        Self { conn, key }
    }

    /// The command that appends one dead letter, for callers that pipeline it with an ack.
    pub fn command(&self, payload: &[u8], reason: &str, source_id: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.key)
            .arg("*")
            .arg("payload")
            .arg(payload)
            .arg("reason")
            .arg(reason)
            .arg("source_id")
            .arg(source_id)
            .arg("failed_at")
            .arg(Utc::now().to_rfc3339());
        cmd
    }
}

#[async_trait]
impl DeadLetters for RedisDeadLetters {
    async fn add(&self, payload: &[u8], reason: &str, source_id: &str) -> Result<(), BusError> {
        let mut conn = self.conn.get().await?;
        self.command(payload, reason, source_id)
            .query_async::<String>(&mut conn)
            .await?;
        metrics::counter!("events_dead_lettered_total").increment(1);
        Ok(())
    }
}
