//! The storage failure both services' repository ports report.

/// A storage failure, split by whether the caller should expect it to pass on retry.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The database could not be reached or is overloaded; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else, including stored data that no longer maps to the model.
    #[error("database error: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for crate::http::ApiError {
    /// 503 for an unavailable database, 500 for anything else; either way the cause is
    /// logged and not returned.
    fn from(err: RepositoryError) -> Self {
        match &err {
            RepositoryError::Unavailable(_) => Self::unavailable(&err),
            RepositoryError::Unexpected(_) => Self::internal(&err),
        }
    }
}
