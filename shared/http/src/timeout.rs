use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use poem::{Endpoint, IntoResponse, Request, Response, Result, http::StatusCode};

use super::{Problem, problem_response};

/// Set by the body limit once the whole body is in: a request that times out before that was
/// held up by its client (408), after that by the service (503).
#[derive(Debug, Clone, Default)]
pub(super) struct BodyReceived(Arc<AtomicBool>);

impl BodyReceived {
    pub(super) fn mark(req: &Request) {
        if let Some(received) = req.extensions().get::<Self>() {
            received.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Answers a request that is not done within `limit`, body and handler included: 408 if its
/// body had not arrived yet, 503 otherwise. The handler is dropped there: a database
/// transaction it had open is rolled back.
pub(super) async fn within<E: Endpoint>(next: Arc<E>, mut req: Request, limit: Duration) -> Result<Response> {
    let received = BodyReceived::default();
    req.extensions_mut().insert(received.clone());
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(response) => response.map(IntoResponse::into_response),
        Err(_) => {
            let secs = limit.as_secs();
            let problem = if received.0.load(Ordering::Relaxed) {
                tracing::warn!(limit_secs = secs, "request timed out");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    format!("the request was not done within {secs} s; retry later"),
                )
            } else {
                tracing::info!(limit_secs = secs, "request body not received in time");
                Problem::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request-timeout",
                    format!("the request body did not arrive within {secs} s"),
                )
            };
            Err(poem::Error::from_response(problem_response(&problem)))
        }
    }
}
