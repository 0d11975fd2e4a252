use std::sync::Arc;

use chrono::Utc;

use crate::LazyConnection;

/// The dead-letter stream (`{<channel>}.dead`, see [`crate::dead_letter_key`]): events
/// that could not be processed, each with the reason, kept for a person to inspect
/// (`XRANGE {order.sent}.dead - +`) and replay.
/// It holds at most `max_len` entries: each append drops the oldest beyond that, so a flood
/// of forged or broken events cannot fill Redis' memory.
pub struct RedisDeadLetters {
    conn: Arc<LazyConnection>,
    key: String,
    max_len: u64,
}

impl RedisDeadLetters {
    pub fn new(conn: Arc<LazyConnection>, key: String, max_len: u64) -> Self {
        Self { conn, key, max_len }
    }

    /// The command that appends one dead letter, for callers that pipeline it with an ack.
    pub fn command(&self, payload: &[u8], reason: &str, source_id: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("XADD");
        // Exact trimming: `~` would only cut whole stream nodes, far beyond a small cap.
        cmd.arg(&self.key)
            .arg("MAXLEN")
            .arg(self.max_len)
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

    /// Appends one dead letter; `source_id` says where the event came from.
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn add(&self, payload: &[u8], reason: &str, source_id: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.get().await?;
        self.command(payload, reason, source_id)
            .query_async::<String>(&mut conn)
            .await?;
        metrics::counter!("events_dead_lettered_total").increment(1);
        Ok(())
    }
}
