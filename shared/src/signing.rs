//! Proof of origin for events on the bus: the order service seals every event with its
//! Ed25519 key; the voucher service opens it with the public keys it trusts and refuses
//! anything else. Anyone who can write to Redis can publish, but not as the order service.
//!
//! A sealed event is a JSON object `{"kid", "alg": "EdDSA", "sig", "payload"}`: `payload` is
//! the event's JSON text, `sig` the base64url Ed25519 signature of exactly its UTF-8 bytes,
//! `kid` the RFC 7638 thumbprint of the signing key (its entry in the trusted JWKS).

use std::{collections::HashMap, path::PathBuf};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Args;
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

/// The key a setting gives (an empty setting counts as unset).
fn configured_key(value: Option<&str>, missing: &'static str, starts: &str) -> Result<String, EventKeyError> {
    let value = value.filter(|v| !v.is_empty()).ok_or(EventKeyError::Missing(missing))?;
    key_text(value, starts)
}

/// A key given as its text, or as the path of a file holding it: text that starts like the
/// key itself (`starts`) is the key, anything else a path.
fn key_text(value: &str, starts: &str) -> Result<String, EventKeyError> {
    if value.trim_start().starts_with(starts) {
        return Ok(value.to_owned());
    }
    let path = PathBuf::from(value);
    std::fs::read_to_string(&path).map_err(|error| EventKeyError::Read {
        path: path.display().to_string(),
        error,
    })
}

/// The order service's signing key.
#[derive(Debug, Clone, Args)]
pub struct SigningSettings {
    /// The Ed25519 private key (PKCS#8 PEM) events are signed with: the PEM itself, or the
    /// path of a file holding it (`checkout-token keygen DIR` writes DIR/signing-key.pem).
    #[arg(long, env = "EVENT_SIGNING_KEY", hide_env_values = true)]
    pub event_signing_key: Option<String>,
}

impl SigningSettings {
    /// The signer these settings name.
    ///
    /// # Errors
    /// No key is configured, or it cannot be read; the message names the variable.
    pub fn signer(&self) -> Result<EventSigner, EventKeyError> {
        let pem = configured_key(
            self.event_signing_key.as_deref(),
            "EVENT_SIGNING_KEY is required: the Ed25519 key events are signed with (PEM, or a file holding it)",
            "-----BEGIN",
        )?;
        EventSigner::from_pem(&pem)
    }

    /// Stops the process, naming the variable, unless a usable key is configured.
    pub fn check(&self) {
        if let Err(error) = self.signer() {
            crate::config::refuse("EVENT_SIGNING_KEY", error);
        }
    }
}

/// The public keys the voucher service trusts events from.
#[derive(Debug, Clone, Args)]
pub struct VerifySettings {
    /// The JWKS of the Ed25519 public keys events may be signed with (several during a key
    /// rotation): the JSON itself, or the path of a file holding it.
    #[arg(long, env = "EVENT_VERIFY_KEYS")]
    pub event_verify_keys: Option<String>,
}

impl VerifySettings {
    /// The verifier these settings name.
    ///
    /// # Errors
    /// No keys are configured, or they cannot be read; the message names the variable.
    pub fn verifier(&self) -> Result<EventVerifier, EventKeyError> {
        let jwks = configured_key(
            self.event_verify_keys.as_deref(),
            "EVENT_VERIFY_KEYS is required: the JWKS of the keys events are signed with (JSON, or a file holding it)",
            "{",
        )?;
        EventVerifier::from_jwks(jwks.as_bytes())
    }

    /// Stops the process, naming the variable, unless usable keys are configured.
    pub fn check(&self) {
        if let Err(error) = self.verifier() {
            crate::config::refuse("EVENT_VERIFY_KEYS", error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::dev::DevSigningKey;

    fn pair() -> (EventSigner, DevSigningKey) {
        let key = DevSigningKey::generate().unwrap();
        (EventSigner::from_pem(key.pem()).unwrap(), key)
    }

    fn verifier(keys: &[&DevSigningKey]) -> EventVerifier {
        let set = JwkSet {
            keys: keys.iter().map(|k| k.jwk().clone()).collect(),
        };
        EventVerifier::from_jwks(&serde_json::to_vec(&set).unwrap()).unwrap()
    }

    #[test]
    fn a_sealed_event_opens_to_its_exact_payload() {
        let (signer, key) = pair();
        let payload = r#"{"order_id":"x", "total_cents":12000}"#;
        let sealed = signer.seal(payload);
        assert_eq!(verifier(&[&key]).open(sealed.as_bytes()), Ok(payload.to_owned()));
        assert_eq!(signer.kid(), key.jwk().common.key_id.as_deref().unwrap());
    }

    #[test]
    fn unsigned_forged_altered_and_unknown_key_events_are_refused() {
        let (signer, key) = pair();
        let (stranger, stranger_key) = pair();
        let trusted = verifier(&[&key]);
        let payload = r#"{"total_cents":12000}"#;
        assert_eq!(trusted.open(payload.as_bytes()), Err(BadSignature::NotSealed));
        assert_eq!(trusted.open(b"not json"), Err(BadSignature::NotSealed));
        let unknown = stranger.seal(payload);
        assert!(matches!(
            trusted.open(unknown.as_bytes()),
            Err(BadSignature::UnknownKey(_))
        ));
        // Another key's signature under the trusted kid.
        let mut forged: serde_json::Value = serde_json::from_str(&unknown).unwrap();
        forged["kid"] = signer.kid().into();
        assert_eq!(trusted.open(forged.to_string().as_bytes()), Err(BadSignature::Invalid));
        // The trusted key's signature over other bytes.
        let mut altered: serde_json::Value = serde_json::from_str(&signer.seal(payload)).unwrap();
        altered["payload"] = r#"{"total_cents":99999}"#.into();
        assert_eq!(trusted.open(altered.to_string().as_bytes()), Err(BadSignature::Invalid));
        let mut reformatted: serde_json::Value = serde_json::from_str(&signer.seal(payload)).unwrap();
        reformatted["payload"] = r#"{"total_cents": 12000}"#.into();
        assert_eq!(
            trusted.open(reformatted.to_string().as_bytes()),
            Err(BadSignature::Invalid),
            "the signature covers the exact bytes"
        );
        assert!(verifier(&[&stranger_key]).open(unknown.as_bytes()).is_ok());
    }

    #[test]
    fn several_trusted_keys_let_the_publisher_rotate() {
        let (old, old_key) = pair();
        let (new, new_key) = pair();
        let both = verifier(&[&old_key, &new_key]);
        assert_eq!(both.len(), 2);
        assert!(both.open(old.seal("{}").as_bytes()).is_ok());
        assert!(both.open(new.seal("{}").as_bytes()).is_ok());
    }

    #[test]
    fn keys_are_read_as_text_or_from_a_file() {
        let (_, key) = pair();
        assert_eq!(key_text(key.pem(), "-----BEGIN").unwrap(), key.pem());
        let path = std::env::temp_dir().join(format!("event-key-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, key.pem()).unwrap();
        assert_eq!(key_text(path.to_str().unwrap(), "-----BEGIN").unwrap(), key.pem());
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            key_text("/nonexistent/key.pem", "-----BEGIN"),
            Err(EventKeyError::Read { .. })
        ));
        assert!(EventVerifier::from_jwks(br#"{"keys": []}"#).is_err());
    }
}
