use std::{sync::Arc, time::Duration};

use redis::{
    RedisResult, Value,
    streams::{StreamInfoGroupsReply, StreamPendingCountReply, StreamPendingReply, StreamReadReply},
};

use super::{RedisDeadLetters, StreamEntry};
use crate::{LazyConnection, RedisEndpoint};

/// A member of a Redis consumer group on a stream of events. Entries stay pending until
/// acknowledged; a consumer that restarts under the same name gets its own pending
/// entries back first, and entries left pending by a dead consumer are claimed after
/// `claim_idle`.
///
/// It reads on a connection of its own: a read blocks its connection for up to a second
/// while the stream is quiet (`XREADGROUP BLOCK`), and on a shared connection every command
/// queued behind it (a relay's `PUBLISH` or `XADD`) would wait as long.
pub struct RedisStreamConsumer {
    conn: Arc<LazyConnection>,
    stream: String,
    group: String,
    consumer: String,
    claim_idle: Duration,
    dead_letters: RedisDeadLetters,
}

impl RedisStreamConsumer {
    /// A consumer reading `stream` at `endpoint` (connected on first use).
    ///
    /// # Errors
    /// The endpoint's TLS settings cannot be read.
    pub fn new(
        endpoint: &RedisEndpoint,
        stream: String,
        group: String,
        consumer: String,
        claim_idle: Duration,
        dead_letters: RedisDeadLetters,
    ) -> RedisResult<Self> {
        Ok(Self {
            conn: Arc::new(LazyConnection::new(endpoint)?),
            stream,
            group,
            consumer,
            claim_idle,
            dead_letters,
        })
    }

    async fn read(&self, id: &str, count: usize, block: Option<Duration>) -> RedisResult<Vec<StreamEntry>> {
        let mut conn = self.conn.get().await?;
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(count);
        if let Some(block) = block {
            cmd.arg("BLOCK").arg(block.as_millis() as u64);
        }
        cmd.arg("STREAMS").arg(&self.stream).arg(id);
        let reply: Option<StreamReadReply> = cmd.query_async(&mut conn).await?;
        let ids = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids);
        let entries: Vec<_> = ids.map(|e| (e.id.clone(), payload_of(&e.map))).collect();
        self.with_deliveries(entries).await
    }

    /// Looks up delivery counts for a batch in one XPENDING call over its id range.
    async fn with_deliveries(&self, entries: Vec<(String, Vec<u8>)>) -> RedisResult<Vec<StreamEntry>> {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(Vec::new());
        };
        let mut conn = self.conn.get().await?;
        let pending: StreamPendingCountReply = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&first.0)
            .arg(&last.0)
            .arg(entries.len())
            .arg(&self.consumer)
            .query_async(&mut conn)
            .await?;
        Ok(entries
            .into_iter()
            .map(|(id, payload)| {
                let deliveries = pending
                    .ids
                    .iter()
                    .find(|p| p.id == id)
                    .map_or(1, |p| p.times_delivered as u64);
                StreamEntry {
                    id,
                    payload,
                    deliveries,
                }
            })
            .collect())
    }
}

impl RedisStreamConsumer {
    /// Creates the stream and the group if missing. A new group starts at the beginning of
    /// the stream, so events appended before the first consumer started are not skipped.
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn ensure_group(&self) -> RedisResult<()> {
        let mut conn = self.conn.get().await?;
        let created: RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// This consumer's own pending entries after `after` (start with "0").
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn own_pending(&self, after: &str, count: usize) -> RedisResult<Vec<StreamEntry>> {
        self.read(after, count, None).await
    }

    /// New entries, waiting up to `block` for some to arrive.
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn new_entries(&self, count: usize, block: Duration) -> RedisResult<Vec<StreamEntry>> {
        self.read(">", count, Some(block)).await
    }

    /// Takes over entries another consumer left pending for longer than `claim_idle`.
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn claim_stale(&self, count: usize) -> RedisResult<Vec<StreamEntry>> {
        let mut conn = self.conn.get().await?;
        let reply: redis::streams::StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(self.claim_idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut conn)
            .await?;
        let entries: Vec<_> = reply
            .claimed
            .into_iter()
            .map(|e| (e.id.clone(), payload_of(&e.map)))
            .collect();
        self.with_deliveries(entries).await
    }

    /// Acknowledges processed entries; they will not be delivered again.
    ///
    /// # Errors
    /// Redis is unreachable; the entries stay pending and are processed again (harmlessly).
    pub async fn ack(&self, ids: &[String]) -> RedisResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.get().await?;
        redis::cmd("XACK")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(ids)
            .query_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    /// Moves an entry to the dead-letter stream and acknowledges it, atomically.
    ///
    /// # Errors
    /// Redis is unreachable; the entry stays pending.
    pub async fn dead_letter(&self, entry: &StreamEntry, reason: &str) -> RedisResult<()> {
        let mut conn = self.conn.get().await?;
        redis::pipe()
            .atomic()
            .add_command(self.dead_letters.command(&entry.payload, reason, &entry.id))
            .ignore()
            .cmd("XACK")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&entry.id)
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        metrics::counter!("events_dead_lettered_total").increment(1);
        Ok(())
    }

    /// Drops entries every group has acknowledged. Only when this group is the stream's only
    /// group, since another group may still need older entries; never drops a pending entry.
    ///
    /// # Errors
    /// Redis is unreachable.
    pub async fn trim_acknowledged(&self) -> RedisResult<()> {
        let mut conn = self.conn.get().await?;
        let groups: StreamInfoGroupsReply = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.stream)
            .query_async(&mut conn)
            .await?;
        let [group] = groups.groups.as_slice() else {
            return Ok(());
        };
        if group.name != self.group {
            return Ok(());
        }
        let summary: StreamPendingReply = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(&self.group)
            .query_async(&mut conn)
            .await?;
        let min_id = match summary {
            StreamPendingReply::Data(data) if data.count > 0 => data.start_id,
            _ => group.last_delivered_id.clone(),
        };
        redis::cmd("XTRIM")
            .arg(&self.stream)
            .arg("MINID")
            .arg(&min_id)
            .query_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }
}

fn payload_of(fields: &std::collections::HashMap<String, Value>) -> Vec<u8> {
    fields
        .get("payload")
        .and_then(|v| redis::from_redis_value_ref::<Vec<u8>>(v).ok())
        .unwrap_or_default()
}
