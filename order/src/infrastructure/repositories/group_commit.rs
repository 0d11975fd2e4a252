use std::sync::Arc;

use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::repository_error;
use crate::{application::ports::RepositoryError, infrastructure::entities::orders};

/// Most rows one statement writes.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<(), RepositoryError>>;

/// Group commit of new orders: requests that arrive while a write is in progress are written
/// together, in one multi-row `INSERT` (one round trip and one commit for the batch). A lone
/// request is written at once: a writer takes whatever is waiting when it is free, never
/// waits for company. Each request gets its own answer; if the batch fails, its rows are
/// written one by one, so one bad row never fails its neighbours.
#[derive(Clone)]
pub struct OrderInserts {
    queue: mpsc::UnboundedSender<(orders::ActiveModel, Reply)>,
}

impl OrderInserts {
    /// Starts `writers` writer tasks on `db` (each holds at most one connection at a time);
    /// they end when the last handle is dropped.
    pub fn start(db: DatabaseConnection, writers: usize) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(db.clone(), waiting.clone()));
        }
        Self { queue }
    }

    /// Stores one order, with whichever others are waiting.
    ///
    /// # Errors
    /// [`RepositoryError`] for this order's row; then it was not stored.
    pub async fn insert(&self, row: orders::ActiveModel) -> Result<(), RepositoryError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((row, reply))
            .map_err(|_| RepositoryError::Unexpected("the order writers have stopped".into()))?;
        answer
            .await
            .map_err(|_| RepositoryError::Unexpected("an order writer stopped mid-batch".into()))?
    }
}

async fn write_batches(
    db: DatabaseConnection,
    waiting: Arc<Mutex<mpsc::UnboundedReceiver<(orders::ActiveModel, Reply)>>>,
) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let mut batch = Vec::new();
            if waiting.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
            batch
        };
        write(&db, batch).await;
    }
}

async fn write(db: &DatabaseConnection, batch: Vec<(orders::ActiveModel, Reply)>) {
    metrics::histogram!("order_insert_batch_size").record(batch.len() as f64);
    if let [_] = batch.as_slice() {
        let (row, reply) = batch.into_iter().next().expect("one row");
        let _ = reply.send(insert_one(db, row).await);
        return;
    }
    let (rows, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let written = orders::Entity::insert_many(rows.clone())
        .exec_without_returning(db)
        .await;
    match written {
        Ok(_) => {
            for reply in replies {
                let _ = reply.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::debug!(error.message = %e, rows = rows.len(), "batch insert failed; writing its rows one by one");
            for (row, reply) in rows.into_iter().zip(replies) {
                let _ = reply.send(insert_one(db, row).await);
            }
        }
    }
}

async fn insert_one(db: &DatabaseConnection, row: orders::ActiveModel) -> Result<(), RepositoryError> {
    orders::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(|_| ())
        .map_err(repository_error)
}
