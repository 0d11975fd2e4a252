use std::{
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use super::{
    AuthError, Principal, Scope,
    keys::{KeySet, KeySetError, KeySource, VerificationKey},
};

/// The only algorithms accepted; each key verifies exactly one of them.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
/// Longer tokens are refused unread: a real access token is well under this.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Verified tokens remembered, so a client's next request with the same token skips the
/// signature check; each is dropped at its `exp`, after this long, or when the keys change.
const VERIFIED_CAPACITY: u64 = 10_000;
const VERIFIED_TTL: Duration = Duration::from_secs(300);
/// The key set is fetched again once it is this old, whether or not a token names a new
/// key: a key the issuer retired stops verifying tokens by then.
pub const DEFAULT_MAX_KEY_AGE: Duration = Duration::from_secs(300);

/// Verifies OAuth 2.0 JWT access tokens (RFC 9068) of one issuer for one audience, with the
/// issuer's keys from a JWKS, cached by `kid`. Share it behind an `Arc`.
pub struct TokenVerifier {
    source: KeySource,
    http: reqwest::Client,
    /// One validation per accepted algorithm: the library checks one key family per call.
    validations: [Validation; 3],
    min_refetch_interval: Duration,
    max_key_age: Duration,
    keys: RwLock<Loaded>,
    /// Held while the key set is (re)loaded, so concurrent misses wait for one load.
    refetch: tokio::sync::Mutex<Refetch>,
    /// Tokens whose signature and claims were checked, by the whole token.
    verified: moka::sync::Cache<String, Verified>,
    leeway: Duration,
}

/// The key set in use, and when it was loaded.
#[derive(Default)]
struct Loaded {
    keys: Arc<KeySet>,
    at: Option<Instant>,
}

#[derive(Clone)]
struct Verified {
    principal: Principal,
    /// The token's `exp` (seconds since the epoch).
    expires_at: u64,
    /// The key that verified it: the memory holds only while that very key is in use.
    kid: String,
    key: Arc<VerificationKey>,
}

#[derive(Default)]
struct Refetch {
    last_attempt: Option<Instant>,
    last_error: Option<Arc<KeySetError>>,
}

/// The claims read beyond those the library validates; absent ones are reported by it.
#[derive(Deserialize)]
struct Claims {
    /// Required and checked by the library; optional here so that its absence is reported
    /// as such.
    exp: Option<u64>,
    sub: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    jti: Option<String>,
}

impl TokenVerifier {
    /// A verifier for tokens issued by `issuer` (exact `iss`) for `audience` (one of `aud`),
    /// with a 30 s leeway on `exp`/`nbf` and at most one key set load per 5 s. Keys are
    /// loaded on first use, or by [`refresh_keys`](Self::refresh_keys).
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(issuer: &str, audience: &str, source: KeySource) -> Result<Self, KeySetError> {
        Ok(Self {
            source,
            http: KeySource::http_client()?,
            validations: ALGORITHMS.map(|alg| validation(alg, issuer, audience, DEFAULT_LEEWAY)),
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            max_key_age: DEFAULT_MAX_KEY_AGE,
            keys: RwLock::default(),
            refetch: tokio::sync::Mutex::default(),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(VERIFIED_TTL)
                .build(),
            leeway: DEFAULT_LEEWAY,
        })
    }

    /// Accepts an `exp` up to `leeway` past and an `nbf` up to `leeway` ahead (clock skew).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        for v in &mut self.validations {
            v.leeway = leeway.as_secs();
        }
        self.leeway = leeway;
        self
    }

    /// The shortest time between two loads of the key set triggered by unknown `kid`s.
    #[must_use]
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// How old the key set may grow before a request fetches it again.
    #[must_use]
    pub fn with_max_key_age(mut self, age: Duration) -> Self {
        self.max_key_age = age;
        self
    }

    /// Where the keys come from.
    pub fn key_source(&self) -> &KeySource {
        &self.source
    }

    /// Verifies `token` (the bearer token, without `Bearer `) and returns its caller. With
    /// its key cached this does no I/O; an unknown `kid` reloads the key set, at most once
    /// per minimum refetch interval, and a key set older than the maximum key age is fetched
    /// again by one request while the others go on. A token verified before (not expired
    /// since, and its key still in use) is answered from memory without checking its
    /// signature again.
    ///
    /// # Errors
    /// Why the token is refused, or [`AuthError::KeysUnavailable`] if the keys to check it
    /// could not be loaded.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed);
        }
        self.refresh_if_stale().await;
        if let Some(verified) = self.verified.get(token) {
            if jsonwebtoken::get_current_timestamp() > verified.expires_at.saturating_add(self.leeway.as_secs()) {
                self.verified.invalidate(token);
                return Err(AuthError::Expired);
            }
            if self
                .cached(&verified.kid)
                .is_some_and(|key| Arc::ptr_eq(&key, &verified.key))
            {
                return Ok(verified.principal);
            }
            // Its key was replaced or retired since: check the token again from scratch.
            self.verified.invalidate(token);
        }
        let header = jsonwebtoken::decode_header(token)?;
        if !header.typ.as_deref().is_none_or(is_access_token_type) {
            return Err(AuthError::NotAnAccessToken);
        }
        let index = ALGORITHMS
            .iter()
            .position(|alg| *alg == header.alg)
            .ok_or(AuthError::DisallowedAlgorithm)?;
        let kid = header.kid.ok_or(AuthError::MissingClaim("kid"))?;
        let key = self.key(&kid).await?;
        if key.algorithm != header.alg {
            return Err(AuthError::DisallowedAlgorithm);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &self.validations[index])?.claims;
        let subject = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::MissingClaim("sub"))?;
        let scopes = claims.scope.as_deref().map(Scope::parse_claim).unwrap_or_default();
        let principal = Principal::new(subject, scopes).with_token_ids(claims.client_id, claims.jti);
        self.verified.insert(
            token.to_owned(),
            Verified {
                principal: principal.clone(),
                expires_at: claims.exp.unwrap_or_default(),
                kid,
                key,
            },
        );
        Ok(principal)
    }

    /// Loads the key set now, whenever it was last loaded: for a check at start.
    ///
    /// # Errors
    /// The key set cannot be loaded; the keys cached before, if any, stay in use.
    pub async fn refresh_keys(&self) -> Result<(), AuthError> {
        let mut refetch = self.refetch.lock().await;
        self.reload(&mut refetch).await
    }

    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut refetch = self.refetch.lock().await;
        // Another request may have loaded it while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if let Some(last) = refetch.last_attempt
            && last.elapsed() < self.min_refetch_interval
        {
            return Err(match &refetch.last_error {
                Some(error) => AuthError::KeysUnavailable(error.clone()),
                None => AuthError::unknown_key(kid),
            });
        }
        self.reload(&mut refetch).await?;
        self.cached(kid).ok_or_else(|| AuthError::unknown_key(kid))
    }

    async fn reload(&self, refetch: &mut Refetch) -> Result<(), AuthError> {
        refetch.last_attempt = Some(Instant::now());
        match self.source.load(&self.http).await {
            Ok(keys) => {
                tracing::info!(source = %self.source, keys = keys.len(), "loaded the issuer's keys");
                refetch.last_error = None;
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Loaded {
                    keys: Arc::new(keys),
                    at: Some(Instant::now()),
                };
                Ok(())
            }
            Err(error) => {
                tracing::warn!(error.message = %error, "cannot load the issuer's keys");
                let error = Arc::new(error);
                refetch.last_error = Some(error.clone());
                Err(AuthError::KeysUnavailable(error))
            }
        }
    }

    fn cached(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .get(kid)
            .cloned()
    }

    fn keys_are_stale(&self) -> bool {
        let loaded = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        loaded.at.is_some_and(|at| at.elapsed() > self.max_key_age)
    }

    /// Fetches a key set older than the maximum age again; if that fails the old keys stay
    /// in use (an identity provider outage must not lock every caller out) and the next
    /// attempt waits the minimum refetch interval.
    async fn refresh_if_stale(&self) {
        if !self.keys_are_stale() {
            return;
        }
        // One request fetches; the others go on with the keys they have.
        let Ok(mut refetch) = self.refetch.try_lock() else {
            return;
        };
        let waited = refetch
            .last_attempt
            .is_none_or(|last| last.elapsed() >= self.min_refetch_interval);
        if self.keys_are_stale() && waited {
            let _ = self.reload(&mut refetch).await;
        }
    }
}

/// Whether a JWT `typ` may be an access token's: `at+jwt` (RFC 9068), or plain `JWT` as
/// providers that predate it send (and no `typ` at all). Any other type (`logout+jwt`,
/// `secevent+jwt`, `dpop+jwt`, ...) names another kind of token, signed by the same keys.
fn is_access_token_type(typ: &str) -> bool {
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("jwt")
}

fn validation(alg: Algorithm, issuer: &str, audience: &str, leeway: Duration) -> Validation {
    let mut v = Validation::new(alg);
    v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = leeway.as_secs();
    v
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<TokenVerifier>();
};
