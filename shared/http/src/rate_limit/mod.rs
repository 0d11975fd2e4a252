//! Rate limits per caller on the writes and the lookups of an API, checked before the body is
//! read or anything else of the request is done.
//!
//! A caller is the subject of its access token when it sent one that verifies, and its IP
//! address otherwise (an IPv6 address by its /64 network, which one host usually holds in
//! full). The token is verified here, once: the operation's [`Authenticated`] extractor
//! takes the outcome from the request.
//!
//! [`Authenticated`]: super::Authenticated

mod caller;
mod class;

use std::{
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{StatusCode, header},
};

use self::caller::Caller;
pub(super) use self::class::too_many_requests_response;
use super::{
    Problem, RateClass, Routes,
    auth::{VerifiedCaller, verify_authorization},
    problem_response,
};
use checkout_auth::TokenVerifier;

/// How often keys whose bucket is full again are forgotten, so that memory holds only the
/// callers of the last few seconds.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(10);

/// One limit: a sustained rate, and the burst: how many at once after a quiet spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// The limits of both kinds of operation, per caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// The operations declared [`RateClass::Write`].
    pub writes: Rate,
    /// The operations declared [`RateClass::Lookup`].
    pub lookups: Rate,
}

/// The middleware: answers 429 with `Retry-After` to a caller over its limit.
pub(super) struct RateLimit {
    state: Arc<State>,
}

struct State {
    writes: DefaultKeyedRateLimiter<Caller>,
    lookups: DefaultKeyedRateLimiter<Caller>,
    routes: Arc<Routes>,
    verifier: Arc<TokenVerifier>,
    started: Instant,
    last_cleanup_secs: AtomicU64,
}

impl RateLimit {
    pub(super) fn new(limits: RateLimits, routes: Arc<Routes>, verifier: Arc<TokenVerifier>) -> Self {
        metrics::describe_counter!(
            "http_rate_limited_total",
            "Requests refused with 429, by class (write, lookup) and caller (subject, address)"
        );
        Self {
            state: Arc::new(State {
                writes: RateLimiter::keyed(limits.writes.quota()),
                lookups: RateLimiter::keyed(limits.lookups.quota()),
                routes,
                verifier,
                started: Instant::now(),
                last_cleanup_secs: AtomicU64::new(0),
            }),
        }
    }
}

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RateLimitEndpoint {
            inner,
            state: self.state.clone(),
        }
    }
}

pub(super) struct RateLimitEndpoint<E> {
    inner: E,
    state: Arc<State>,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let state = &self.state;
        let class = state
            .routes
            .operation(req.method(), req.uri().path())
            .and_then(|operation| operation.rate_limit);
        let Some(class) = class else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let verified = verify_authorization(&state.verifier, &req).await;
        let caller = Caller::of(&req, verified.as_ref());
        if let Some(verified) = verified {
            req.extensions_mut().insert(VerifiedCaller(verified));
        }
        state.cleanup_now_and_then();
        let limiter = match class {
            RateClass::Write => &state.writes,
            RateClass::Lookup => &state.lookups,
        };
        if let Err(not_until) = limiter.check_key(&caller) {
            let wait = not_until.wait_time_from(limiter.clock().now());
            return Err(poem::Error::from_response(too_many_requests(class, &caller, wait)));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

impl State {
    /// Forgets callers whose bucket is full again, at most once per [`CLEANUP_INTERVAL`].
    fn cleanup_now_and_then(&self) {
        let now = self.started.elapsed().as_secs();
        let last = self.last_cleanup_secs.load(Ordering::Relaxed);
        if now.saturating_sub(last) < CLEANUP_INTERVAL.as_secs()
            || self
                .last_cleanup_secs
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.writes.retain_recent();
        self.lookups.retain_recent();
    }
}

/// The 429: a problem document and `Retry-After` in whole seconds, rounded up. Logged
/// without the caller's token or identity.
fn too_many_requests(class: RateClass, caller: &Caller, wait: Duration) -> Response {
    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let retry_after = retry_after.max(1);
    tracing::info!(
        class = class.label(),
        caller = caller.label(),
        retry_after,
        "request rate-limited"
    );
    metrics::counter!("http_rate_limited_total", "class" => class.label(), "caller" => caller.label()).increment(1);
    let problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!(
            "too many {} requests from this caller; retry in {retry_after} s",
            class.label()
        ),
    );
    let mut response = problem_response(&problem);
    response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let response = too_many_requests(RateClass::Write, &Caller::Unknown, Duration::from_millis(1_200));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = too_many_requests(RateClass::Lookup, &Caller::Unknown, Duration::ZERO);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
