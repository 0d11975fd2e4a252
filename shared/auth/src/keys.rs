//! The issuer's public keys: where they come from (a JWKS URL or file) and the parsed set,
//! keyed by `kid`, that the verifier caches.

use std::{collections::HashMap, fmt, path::PathBuf, sync::Arc, time::Duration};

use jsonwebtoken::{
    Algorithm, DecodingKey, DecodingKeyKind,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use serde::Deserialize;

/// The largest JWKS document read; a real one is a few kilobytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// How long one JWKS request may take, connecting included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// RSA keys shorter than this (in bytes of modulus) are refused: 2048 bits.
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Where the issuer's JSON Web Key Set is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The identity provider's `jwks_uri` (`AUTH_JWKS_URL`).
    Url(reqwest::Url),
    /// A JWKS file, for local development (`AUTH_JWKS_FILE`).
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => {
                // Credentials in the URL stay out of logs and error messages.
                let mut shown = url.clone();
                let _ = shown.set_username("");
                let _ = shown.set_password(None);
                write!(f, "{shown}")
            }
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The key set could not be read, or holds no key this verifier can use.
#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("cannot build the HTTP client for the JWKS: {0}")]
    Client(#[source] reqwest::Error),
    #[error("cannot fetch the JWKS from {source_name}: {error}")]
    Fetch {
        source_name: String,
        #[source]
        error: reqwest::Error,
    },
    #[error("the JWKS at {source_name} answered HTTP {status}")]
    Status {
        source_name: String,
        status: reqwest::StatusCode,
    },
    #[error("the JWKS at {source_name} is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge { source_name: String },
    #[error("cannot read the JWKS file {source_name}: {error}")]
    Read {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    #[error("the JWKS at {source_name} is not a JSON key set: {error}")]
    Parse {
        source_name: String,
        #[source]
        error: serde_json::Error,
    },
    #[error("the JWKS at {source_name} holds no usable signing key (RS256, ES256 or EdDSA, with a kid)")]
    NoUsableKeys { source_name: String },
}

/// A public key ready to verify, and the one algorithm it verifies.
pub(super) struct VerificationKey {
    pub(super) algorithm: Algorithm,
    pub(super) key: DecodingKey,
}

/// Parsed keys by `kid`.
pub(super) type KeySet = HashMap<String, Arc<VerificationKey>>;

impl KeySource {
    pub(super) fn http_client() -> Result<reqwest::Client, KeySetError> {
        reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .build()
            .map_err(KeySetError::Client)
    }

    /// Reads and parses the key set.
    ///
    /// # Errors
    /// The source cannot be read, is not a JWKS, or holds no usable key.
    pub(super) async fn load(&self, http: &reqwest::Client) -> Result<KeySet, KeySetError> {
        let source_name = self.to_string();
        let bytes = match self {
            Self::Url(url) => fetch(http, url, &source_name).await?,
            Self::File(path) => tokio::fs::read(path).await.map_err(|error| KeySetError::Read {
                source_name: source_name.clone(),
                error,
            })?,
        };
        parse_key_set(&bytes).map_err(|error| match error {
            ParseError::Json(error) => KeySetError::Parse { source_name, error },
            ParseError::NoUsableKeys => KeySetError::NoUsableKeys { source_name },
        })
    }
}

async fn fetch(http: &reqwest::Client, url: &reqwest::Url, source_name: &str) -> Result<Vec<u8>, KeySetError> {
    let fetch_error = |error| KeySetError::Fetch {
        source_name: source_name.to_owned(),
        error,
    };
    let mut response = http.get(url.clone()).send().await.map_err(fetch_error)?;
    if !response.status().is_success() {
        return Err(KeySetError::Status {
            source_name: source_name.to_owned(),
            status: response.status(),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(KeySetError::TooLarge {
                source_name: source_name.to_owned(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Debug)]
pub(super) enum ParseError {
    Json(serde_json::Error),
    NoUsableKeys,
}

/// Each key is read on its own, so one the library cannot parse (an encryption key, a new
/// key type) is skipped instead of spoiling the set.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// Parses a JWKS document into the keys this verifier accepts; others are skipped with a
/// warning naming their `kid`.
pub(super) fn parse_key_set(document: &[u8]) -> Result<KeySet, ParseError> {
    let raw: RawKeySet = serde_json::from_slice(document).map_err(ParseError::Json)?;
    let mut keys = KeySet::new();
    for value in raw.keys {
        let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
        match serde_json::from_value::<Jwk>(value)
            .map_err(|e| e.to_string())
            .and_then(|jwk| usable(&jwk))
        {
            Ok(key) => {
                // `usable` refused keys without a kid.
                if let Some(kid) = kid {
                    keys.insert(kid, Arc::new(key));
                }
            }
            Err(reason) => tracing::warn!(kid = kid.as_deref().unwrap_or(""), %reason, "skipping a JWKS key"),
        }
    }
    if keys.is_empty() {
        return Err(ParseError::NoUsableKeys);
    }
    Ok(keys)
}

/// The key and its algorithm, if it is a public signing key of an accepted algorithm.
fn usable(jwk: &Jwk) -> Result<VerificationKey, String> {
    if jwk.common.key_id.as_deref().is_none_or(str::is_empty) {
        return Err("no kid".to_owned());
    }
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("not a signing key (use is not sig)".to_owned());
    }
    // The algorithm follows from the key's type; a stated `alg` must agree with it.
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        _ => return Err("not an RSA, P-256 or Ed25519 public key".to_owned()),
    };
    if let Some(stated) = jwk.common.key_algorithm
        && stated != KeyAlgorithm::from(algorithm)
    {
        return Err(format!("alg {stated} is not accepted for this key type"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    check_key_material(&key, algorithm)?;
    Ok(VerificationKey { algorithm, key })
}

/// Refuses key material that would fail (or, for a short Ed25519 key, panic) at verification.
fn check_key_material(key: &DecodingKey, algorithm: Algorithm) -> Result<(), String> {
    match (key.kind(), algorithm) {
        (DecodingKeyKind::RsaModulusExponent { n, .. }, _) => {
            let significant = n.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return Err(format!("RSA key of {} bits; at least 2048 required", significant * 8));
            }
            Ok(())
        }
        (DecodingKeyKind::SecretOrDer(bytes), Algorithm::EdDSA) if bytes.len() != 32 => {
            Err("Ed25519 key is not 32 bytes".to_owned())
        }
        _ => {
            // Building the verifier parses the point: an invalid one is refused now, not per token.
            jsonwebtoken::crypto::verify("", b"", key, algorithm)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}
