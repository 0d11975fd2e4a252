use std::{sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use checkout_runtime::backoff::{self, Backoff};
use checkout_runtime::error::Chain;

use super::{ConsumerCheck, EntryHandler, RedisStreamConsumer, Settled, StreamEntry};

/// Tuning of the stream consumer.
#[derive(Debug, Clone)]
pub struct StreamConsumerSettings {
    /// Entries read per round.
    pub batch_size: usize,
    /// Entries processed at the same time.
    pub concurrency: usize,
    /// An entry delivered more often than this is dead-lettered without another try
    /// (it may be what crashed earlier consumers).
    pub max_deliveries: u64,
    /// How often to look for entries other consumers left pending.
    pub claim_interval: Duration,
    /// How often to trim acknowledged entries off the stream.
    pub trim_interval: Duration,
}

const BLOCK: Duration = Duration::from_secs(1);

/// Consumes a stream of events (`name` in the logs) through a consumer group until
/// `shutdown`. Starts with this consumer's own pending entries (left by a previous run that
/// died), then alternates between new entries and entries stale in other consumers' hands.
/// An entry is acknowledged only once `handler` settled it: its outcome committed, or it is
/// in the dead-letter stream.
pub async fn run_stream_consumer(
    name: &str,
    consumer: Arc<RedisStreamConsumer>,
    handler: Arc<dyn EntryHandler>,
    settings: StreamConsumerSettings,
    consuming: Arc<ConsumerCheck>,
    shutdown: CancellationToken,
) {
    let join = || consumer.ensure_group();
    if backoff::until_done("cannot reach the stream yet", &shutdown, join)
        .await
        .is_none()
    {
        return;
    }
    consuming.set(true);
    tracing::info!(batch_size = settings.batch_size, "{name} consumer started (streams)");
    let mut recovering = true;
    let mut pending_cursor = "0".to_owned();
    let mut next_claim = Instant::now();
    let mut next_trim = Instant::now() + settings.trim_interval;
    let mut backoff = Backoff::default();
    while !shutdown.is_cancelled() {
        let round = if recovering {
            consumer.own_pending(&pending_cursor, settings.batch_size).await
        } else if Instant::now() >= next_claim {
            next_claim = Instant::now() + settings.claim_interval;
            consumer.claim_stale(settings.batch_size).await
        } else {
            consumer.new_entries(settings.batch_size, BLOCK).await
        };
        let entries = match round {
            Ok(entries) => {
                backoff.reset();
                entries
            }
            Err(e) => {
                let pause = backoff.next_delay();
                tracing::warn!(error.message = %Chain(&e), failures = backoff.failures(), retry_in = ?pause, "reading the stream failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(pause) => {}
                }
                continue;
            }
        };
        if recovering {
            match entries.last() {
                Some(last) => pending_cursor = last.id.clone(),
                None => {
                    recovering = false;
                    continue;
                }
            }
            tracing::info!(
                entries = entries.len(),
                "re-processing entries left pending by a previous run"
            );
        }
        process_batch(consumer.as_ref(), handler.as_ref(), &settings, entries).await;
        if Instant::now() >= next_trim {
            next_trim = Instant::now() + settings.trim_interval;
            if let Err(e) = consumer.trim_acknowledged().await {
                tracing::warn!(error.message = %Chain(&e), "trimming the stream failed");
            }
        }
    }
    consuming.set(false);
    tracing::info!("{name} consumer stopped");
}

async fn process_batch(
    consumer: &RedisStreamConsumer,
    handler: &dyn EntryHandler,
    settings: &StreamConsumerSettings,
    entries: Vec<StreamEntry>,
) {
    let outcomes: Vec<(StreamEntry, Settled)> = stream::iter(entries)
        .map(|entry| async move {
            let outcome = if entry.deliveries > settings.max_deliveries {
                let reason = format!("delivered {} times without being acknowledged", entry.deliveries);
                handler.give_up(&entry.payload, reason)
            } else {
                handler.handle(&entry.payload).await
            };
            (entry, outcome)
        })
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    let mut done = Vec::new();
    for (entry, outcome) in outcomes {
        match outcome {
            Settled::Done => done.push(entry.id),
            Settled::Poison { reason } => {
                tracing::warn!(stream_id = %entry.id, %reason, "moving an event to the dead-letter stream");
                if let Err(e) = consumer.dead_letter(&entry, &reason).await {
                    tracing::error!(error.message = %Chain(&e), stream_id = %entry.id, "dead-lettering failed; the entry stays pending");
                }
            }
            Settled::Interrupted => {}
        }
    }
    if let Err(e) = consumer.ack(&done).await {
        tracing::warn!(error.message = %Chain(&e), entries = done.len(), "acknowledging failed; the entries will be processed again");
    }
}
