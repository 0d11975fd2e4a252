//! The storage failure both services' repository ports report. It carries its cause as a
//! `source`, so logs show the whole chain; how it is answered over HTTP is each API's concern.

/// Any error, kept as the cause of a [`RepositoryError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage failure, split by whether the caller should expect it to pass on retry.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The database could not be reached or is overloaded; retrying later may succeed.
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a failed statement, or a stored row that no longer maps to the model.
    #[error("database error")]
    Unexpected(#[source] BoxError),
}

impl RepositoryError {
    /// A stored `what` that no longer maps to the domain model.
    pub fn corrupt(what: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Unexpected(Box::new(CorruptRow {
            what: what.into(),
            cause: cause.into(),
        }))
    }
}

/// A stored row that the domain refuses.
#[derive(Debug, thiserror::Error)]
#[error("stored {what} is invalid")]
struct CorruptRow {
    what: String,
    #[source]
    cause: BoxError,
}
