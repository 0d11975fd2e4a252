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

/// Verifies OAuth 2.0 JWT access tokens (RFC 9068) of one issuer for one audience, with the
/// issuer's keys from a JWKS, cached by `kid`. Share it behind an `Arc`.
pub struct TokenVerifier {
    source: KeySource,
    http: reqwest::Client,
    /// One validation per accepted algorithm: the library checks one key family per call.
    validations: [Validation; 3],
    min_refetch_interval: Duration,
    keys: RwLock<Arc<KeySet>>,
    /// Held while the key set is (re)loaded, so concurrent misses wait for one load.
    refetch: tokio::sync::Mutex<Refetch>,
    /// Tokens whose signature and claims were checked, by the whole token.
    verified: moka::sync::Cache<String, Verified>,
    leeway: Duration,
}

#[derive(Clone)]
struct Verified {
    principal: Principal,
    /// The token's `exp` (seconds since the epoch).
    expires_at: u64,
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

    /// Where the keys come from.
    pub fn key_source(&self) -> &KeySource {
        &self.source
    }

    /// Verifies `token` (the bearer token, without `Bearer `) and returns its caller. With
    /// its key cached this does no I/O; an unknown `kid` reloads the key set, at most once
    /// per minimum refetch interval. A token verified before (and not expired since) is
    /// answered from memory without checking its signature again.
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
        if let Some(verified) = self.verified.get(token) {
            if jsonwebtoken::get_current_timestamp() <= verified.expires_at.saturating_add(self.leeway.as_secs()) {
                return Ok(verified.principal);
            }
            self.verified.invalidate(token);
            return Err(AuthError::Expired);
        }
        let header = jsonwebtoken::decode_header(token)?;
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
                let keys = Arc::new(keys);
                let old = std::mem::replace(
                    &mut *self.keys.write().unwrap_or_else(PoisonError::into_inner),
                    keys.clone(),
                );
                // A retired key's tokens must not outlive it in memory.
                if old.keys().any(|kid| !keys.contains_key(kid)) {
                    self.verified.invalidate_all();
                }
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
            .get(kid)
            .cloned()
    }
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
