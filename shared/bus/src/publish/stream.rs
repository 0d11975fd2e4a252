use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use checkout_contract::signing::EventSigner;

use checkout_outbox::{Delivery, EventPublisher, PendingEvent, PublishError};

use crate::LazyConnection;

/// Appends events to a Redis stream with XADD, one pipeline per batch. An appended entry is
/// durable in Redis until the consumer group acknowledges it, so it counts as delivered; with
/// `replicas`, only once that many replicas of the stream's node confirmed the batch (`WAIT`,
/// in the same pipeline, so on the same node and connection), so that it survives a failover.
/// No MAXLEN is given: trimming is left to the consumer, which knows what was acknowledged.
pub struct RedisStreamPublisher {
    conn: Arc<LazyConnection>,
    stream: String,
    signer: Arc<EventSigner>,
    replicas: Option<Replicas>,
}

/// How many replicas must confirm each batch, and how long to wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replicas {
    pub count: u32,
    pub timeout: Duration,
}

/// Fewer replicas than required confirmed a batch within the timeout.
#[derive(Debug, thiserror::Error)]
#[error("{confirmed} of the {required} replicas required confirmed the events within {timeout:?}")]
struct NotReplicated {
    confirmed: i64,
    required: u32,
    timeout: Duration,
}

impl RedisStreamPublisher {
    /// Appends to `stream`, every event sealed by `signer`, waiting for `replicas` if given.
    pub fn new(
        conn: Arc<LazyConnection>,
        stream: String,
        signer: Arc<EventSigner>,
        replicas: Option<Replicas>,
    ) -> Self {
        Self {
            conn,
            stream,
            signer,
            replicas,
        }
    }
}

#[async_trait]
impl EventPublisher for RedisStreamPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Result<Vec<Delivery>, PublishError> {
        let mut conn = self.conn.get().await.map_err(super::publish_error)?;
        let mut pipe = redis::pipe();
        for event in events {
            pipe.cmd("XADD")
                .arg(&self.stream)
                .arg("*")
                .arg("event_id")
                .arg(event.event_id.to_string())
                .arg("payload")
                .arg(self.signer.seal(&event.payload));
        }
        let Some(replicas) = self.replicas else {
            let ids: Vec<String> = pipe.query_async(&mut conn).await.map_err(super::publish_error)?;
            return Ok(ids.iter().map(|_| Delivery::Delivered).collect());
        };
        pipe.cmd("WAIT")
            .arg(replicas.count)
            .arg(replicas.timeout.as_millis() as u64);
        let mut replies: Vec<redis::Value> = pipe.query_async(&mut conn).await.map_err(super::publish_error)?;
        let confirmed = replies
            .pop()
            .and_then(|v| redis::from_redis_value::<i64>(v).ok())
            .unwrap_or(0);
        if confirmed < i64::from(replicas.count) {
            // The entries may be in the stream (and may be lost in a failover): publishing
            // them again is safe, the consumer absorbs duplicates.
            return Err(PublishError(Box::new(NotReplicated {
                confirmed,
                required: replicas.count,
                timeout: replicas.timeout,
            })));
        }
        Ok(replies.iter().map(|_| Delivery::Delivered).collect())
    }
}
