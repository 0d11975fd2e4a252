use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::RepositoryError;

/// Most requests one batch holds.
const MAX_BATCH: usize = 256;

/// How one kind of write is done for a batch of requests: together where it can, and each
/// request's own result in the order given (one bad request must not fail the others).
#[async_trait]
pub trait BatchWrite: Send + Sync + 'static {
    type Request: Send + 'static;
    type Output: Send + 'static;
    /// Names the batch-size histogram: `<name>_batch_size`.
    const NAME: &'static str;

    async fn write(
        &self,
        db: &DatabaseConnection,
        batch: Vec<Self::Request>,
    ) -> Vec<Result<Self::Output, RepositoryError>>;
}

type Queued<W> = (
    <W as BatchWrite>::Request,
    oneshot::Sender<Result<<W as BatchWrite>::Output, RepositoryError>>,
);

/// Group commit: requests that arrive while a write is in progress are written together
/// (one statement and one commit for the batch). A lone request is written at once: a writer
/// takes whatever is waiting when it is free, and never waits for company. The queue holds
/// the requests in flight, which the callers bound (the HTTP connection cap, the consumer's
/// concurrency).
pub struct GroupCommit<W: BatchWrite> {
    queue: mpsc::UnboundedSender<Queued<W>>,
}

impl<W: BatchWrite> GroupCommit<W> {
    /// Starts `writers` writer tasks doing `write` on `db` (each holds at most one connection
    /// at a time); they end when the handle is dropped.
    pub fn start(write: W, db: DatabaseConnection, writers: usize) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        let (waiting, write) = (Arc::new(Mutex::new(waiting)), Arc::new(write));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(write.clone(), db.clone(), waiting.clone()));
        }
        Self { queue }
    }

    /// Writes one request, with whichever others are waiting.
    ///
    /// # Errors
    /// [`RepositoryError`] for this request; then it was not written.
    pub async fn submit(&self, request: W::Request) -> Result<W::Output, RepositoryError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((request, reply))
            .map_err(|_| RepositoryError::Unexpected("the database writers have stopped".into()))?;
        answer
            .await
            .map_err(|_| RepositoryError::Unexpected("a database writer stopped mid-batch".into()))?
    }
}

async fn write_batches<W: BatchWrite>(
    write: Arc<W>,
    db: DatabaseConnection,
    waiting: Arc<Mutex<mpsc::UnboundedReceiver<Queued<W>>>>,
) {
    loop {
        let mut batch = Vec::new();
        if waiting.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        metrics::histogram!(format!("{}_batch_size", W::NAME)).record(batch.len() as f64);
        let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let results = write.write(&db, requests).await;
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// Writes `rows` in one go with `write`, which answers one output per row, in their order; if
/// that fails for several rows, writes each row alone, so that a row that cannot be written
/// fails alone and the others are still written. `name` labels the log line of a fallback.
pub async fn together_or_each_alone<'a, R, O, E, Write, Written>(
    name: &str,
    rows: &'a [R],
    write: Write,
) -> Vec<Result<O, E>>
where
    E: std::fmt::Display,
    Write: Fn(&'a [R]) -> Written,
    Written: Future<Output = Result<Vec<O>, E>>,
{
    if rows.len() > 1 {
        match write(rows).await {
            Ok(outputs) => return outputs.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::debug!(error.message = %e, batch = name, rows = rows.len(), "batch write failed; writing its rows one by one")
            }
        }
    }
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        let one = write(std::slice::from_ref(row)).await;
        results.push(one.map(|outputs| outputs.into_iter().next().expect("a write answers one output per row")));
    }
    results
}
