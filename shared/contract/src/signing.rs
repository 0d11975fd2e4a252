//! Proof of origin for events on the bus: the order service seals every event with its
//! Ed25519 key; the voucher service opens it with the public keys it trusts and refuses
//! anything else. Anyone who can write to Redis can publish, but not as the order service.
//!
//! A sealed event is a JSON object `{"kid", "alg": "EdDSA", "sig", "payload"}`: `payload` is
//! the event's JSON text, `sig` the base64url Ed25519 signature of exactly its UTF-8 bytes,
//! `kid` the RFC 7638 thumbprint of the signing key (its entry in the trusted JWKS).

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey, pkcs8::DecodePrivateKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, OctetKeyPairParameters, OctetKeyPairType,
    ThumbprintHash,
};
use serde::{Deserialize, Serialize};

const ALG: &str = "EdDSA";

#[derive(Serialize)]
struct Sealed<'a> {
    kid: &'a str,
    alg: &'a str,
    sig: &'a str,
    payload: &'a str,
}

/// [`Sealed`] as read: the payload's quotes arrive escaped, so it cannot be borrowed.
#[derive(Deserialize)]
struct Opened {
    kid: String,
    alg: String,
    sig: String,
    payload: String,
}

/// A key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventKeyError {
    #[error("{0}")]
    Missing(&'static str),
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("not an Ed25519 private key in PKCS#8 PEM")]
    NotAPrivateKey,
    #[error("not a JWKS of Ed25519 public keys with key ids: {0}")]
    NotAKeySet(String),
}

/// Why an event was refused before it was read: it is not the trusted publisher's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the event is not sealed")]
    NotSealed,
    #[error("the event is sealed with an unknown key {0:?}")]
    UnknownKey(String),
    #[error("the event's signature does not verify")]
    Invalid,
}

/// Signs events as their publisher.
pub struct EventSigner {
    kid: String,
    key: SigningKey,
}

impl EventSigner {
    /// The signer of the Ed25519 key in `pem` (PKCS#8, as `checkout-token keygen` writes it).
    ///
    /// # Errors
    /// `pem` is not an Ed25519 private key.
    pub fn from_pem(pem: &str) -> Result<Self, EventKeyError> {
        let key = SigningKey::from_pkcs8_pem(pem).map_err(|_| EventKeyError::NotAPrivateKey)?;
        Ok(Self {
            kid: key_id(&key.verifying_key())?,
            key,
        })
    }

    /// The key's id, as the trusted JWKS lists it.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `payload` sealed: what goes on the bus.
    pub fn seal(&self, payload: &str) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.key.sign(payload.as_bytes()).to_bytes());
        let sealed = Sealed {
            kid: &self.kid,
            alg: ALG,
            sig: &sig,
            payload,
        };
        serde_json::to_string(&sealed).expect("a sealed event serializes")
    }
}

/// Opens events sealed by any of the trusted keys (several at once, so that the publisher's
/// key can rotate without downtime).
pub struct EventVerifier {
    keys: HashMap<String, VerifyingKey>,
}

impl EventVerifier {
    /// The verifier trusting every Ed25519 key of the JWKS `document`.
    ///
    /// # Errors
    /// The document is not a JWKS, or holds no Ed25519 key with a `kid`.
    pub fn from_jwks(document: &[u8]) -> Result<Self, EventKeyError> {
        let set: JwkSet = serde_json::from_slice(document).map_err(|e| EventKeyError::NotAKeySet(e.to_string()))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), AlgorithmParameters::OctetKeyPair(okp)) = (&jwk.common.key_id, &jwk.algorithm) else {
                continue;
            };
            if okp.curve != EllipticCurve::Ed25519 {
                continue;
            }
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(&okp.x)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| EventKeyError::NotAKeySet(format!("key {kid:?} is not 32 bytes")))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| EventKeyError::NotAKeySet(format!("key {kid:?} is not an Ed25519 point")))?;
            keys.insert(kid.clone(), key);
        }
        if keys.is_empty() {
            return Err(EventKeyError::NotAKeySet("no Ed25519 key with a kid".to_owned()));
        }
        Ok(Self { keys })
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a verifier trusts at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The payload of a sealed event, if a trusted key signed exactly these bytes.
    ///
    /// # Errors
    /// [`BadSignature`]: not a sealed event, an unknown key, or a signature that does not
    /// verify (a forged or altered event).
    pub fn open(&self, message: &[u8]) -> Result<String, BadSignature> {
        let sealed: Opened = serde_json::from_slice(message).map_err(|_| BadSignature::NotSealed)?;
        if sealed.alg != ALG {
            return Err(BadSignature::Invalid);
        }
        let key = self
            .keys
            .get(&sealed.kid)
            .ok_or_else(|| BadSignature::UnknownKey(sealed.kid.chars().take(64).collect()))?;
        let signature = URL_SAFE_NO_PAD
            .decode(&sealed.sig)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or(BadSignature::Invalid)?;
        key.verify_strict(sealed.payload.as_bytes(), &signature)
            .map_err(|_| BadSignature::Invalid)?;
        Ok(sealed.payload)
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key: its `kid` in a JWKS.
fn key_id(key: &VerifyingKey) -> Result<String, EventKeyError> {
    let jwk = Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(key.as_bytes()),
        }),
    };
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| EventKeyError::NotAPrivateKey)
}
