use poem::{Endpoint, Middleware, Request, Result, http::StatusCode, web::headers::HeaderMapExt};

/// Rejects request bodies larger than `max_bytes` with 413, whether or not the client sent a
/// `Content-Length`. Bodies are small JSON documents, so reading them up front is cheap.
pub struct BodyLimit {
    max_bytes: usize,
}

impl BodyLimit {
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if let Some(len) = req.headers().typed_get::<poem::web::headers::ContentLength>()
            && len.0 > self.max_bytes as u64
        {
            return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
        }
        let body = req.take_body().into_bytes_limit(self.max_bytes).await?;
        super::timeout::BodyReceived::mark(&req);
        req.set_body(body);
        self.inner.call(req).await
    }
}
