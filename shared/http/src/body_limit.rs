use std::sync::Arc;

use poem::{
    Body, Endpoint, Middleware, Request, Result, error::ReadBodyError, http::StatusCode, web::headers::HeaderMapExt,
};

use super::Routes;

/// Rejects request bodies larger than `max_bytes` with 413, whether or not the client sent a
/// `Content-Length`. Bodies are small JSON documents, so reading them up front is cheap.
/// Only operations that take a body read one: any other request's body is dropped unread,
/// so that a GET can never answer 408 or 413 for a body it has no use for.
pub struct BodyLimit {
    max_bytes: usize,
    routes: Arc<Routes>,
}

impl BodyLimit {
    pub fn new(max_bytes: usize, routes: Arc<Routes>) -> Self {
        Self { max_bytes, routes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
            routes: self.routes.clone(),
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
    routes: Arc<Routes>,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let takes_body = self
            .routes
            .operation(req.method(), req.uri().path())
            .is_some_and(|operation| operation.takes_body);
        if !takes_body {
            drop(req.take_body());
            req.set_body(Body::empty());
            super::timeout::BodyReceived::mark(&req);
            return self.inner.call(req).await;
        }
        let too_large = || {
            let message = format!("the body is larger than {} bytes", self.max_bytes);
            poem::Error::from_string(message, StatusCode::PAYLOAD_TOO_LARGE)
        };
        if let Some(len) = req.headers().typed_get::<poem::web::headers::ContentLength>()
            && len.0 > self.max_bytes as u64
        {
            return Err(too_large());
        }
        let body = req
            .take_body()
            .into_bytes_limit(self.max_bytes)
            .await
            .map_err(|e| match e {
                ReadBodyError::PayloadTooLarge => too_large(),
                other => other.into(),
            })?;
        super::timeout::BodyReceived::mark(&req);
        req.set_body(body);
        self.inner.call(req).await
    }
}
