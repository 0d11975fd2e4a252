//! The event keys a service is configured with. Each service signs its own events with its
//! own key, and trusts another's events only under that service's keys: the order service
//! signs with `EVENT_SIGNING_KEY` and the voucher service trusts `EVENT_VERIFY_KEYS`; the
//! voucher service signs with `VOUCHER_EVENT_SIGNING_KEY` and the order service trusts
//! `VOUCHER_EVENT_VERIFY_KEYS`. Each is given as its text or as the path of a file.

use std::path::PathBuf;

use checkout_contract::signing::{EventKeyError, EventSigner, EventVerifier};
use checkout_runtime::config::refuse;
use clap::Args;

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
        signer(
            self.event_signing_key.as_deref(),
            "EVENT_SIGNING_KEY is required: the Ed25519 key events are signed with (PEM, or a file holding it)",
        )
    }

    /// Whether a usable key is configured; the error names the variable.
    ///
    /// # Errors
    /// As [`signer`](Self::signer).
    pub fn check(&self) -> Result<(), clap::Error> {
        self.signer()
            .map(drop)
            .map_err(|error| refuse("EVENT_SIGNING_KEY", error))
    }
}

/// The voucher service's signing key, for `voucher.issued`.
#[derive(Debug, Clone, Args)]
pub struct VoucherSigningSettings {
    /// The Ed25519 private key (PKCS#8 PEM) the voucher service signs its events with: the
    /// PEM itself, or the path of a file holding it. Not the order service's key: each
    /// service can only speak for itself.
    #[arg(long, env = "VOUCHER_EVENT_SIGNING_KEY", hide_env_values = true)]
    pub voucher_event_signing_key: Option<String>,
}

impl VoucherSigningSettings {
    /// # Errors
    /// No key is configured, or it cannot be read; the message names the variable.
    pub fn signer(&self) -> Result<EventSigner, EventKeyError> {
        signer(
            self.voucher_event_signing_key.as_deref(),
            "VOUCHER_EVENT_SIGNING_KEY is required: the Ed25519 key voucher events are signed with (PEM, or a file holding it)",
        )
    }

    /// # Errors
    /// As [`signer`](Self::signer).
    pub fn check(&self) -> Result<(), clap::Error> {
        self.signer()
            .map(drop)
            .map_err(|error| refuse("VOUCHER_EVENT_SIGNING_KEY", error))
    }
}

fn signer(value: Option<&str>, missing: &'static str) -> Result<EventSigner, EventKeyError> {
    EventSigner::from_pem(&configured_key(value, missing, "-----BEGIN")?)
}

fn verifier(value: Option<&str>, missing: &'static str) -> Result<EventVerifier, EventKeyError> {
    EventVerifier::from_jwks(configured_key(value, missing, "{")?.as_bytes())
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
        verifier(
            self.event_verify_keys.as_deref(),
            "EVENT_VERIFY_KEYS is required: the JWKS of the keys events are signed with (JSON, or a file holding it)",
        )
    }

    /// Whether usable keys are configured; the error names the variable.
    ///
    /// # Errors
    /// As [`verifier`](Self::verifier).
    pub fn check(&self) -> Result<(), clap::Error> {
        self.verifier()
            .map(drop)
            .map_err(|error| refuse("EVENT_VERIFY_KEYS", error))
    }
}

/// The public keys the order service trusts `voucher.issued` events from.
#[derive(Debug, Clone, Args)]
pub struct VoucherVerifySettings {
    /// The JWKS of the Ed25519 public keys the voucher service signs its events with
    /// (several during a key rotation): the JSON itself, or the path of a file holding it.
    #[arg(long, env = "VOUCHER_EVENT_VERIFY_KEYS")]
    pub voucher_event_verify_keys: Option<String>,
}

impl VoucherVerifySettings {
    /// # Errors
    /// No keys are configured, or they cannot be read; the message names the variable.
    pub fn verifier(&self) -> Result<EventVerifier, EventKeyError> {
        verifier(
            self.voucher_event_verify_keys.as_deref(),
            "VOUCHER_EVENT_VERIFY_KEYS is required: the JWKS of the keys voucher events are signed with (JSON, or a file holding it)",
        )
    }

    /// # Errors
    /// As [`verifier`](Self::verifier).
    pub fn check(&self) -> Result<(), clap::Error> {
        self.verifier()
            .map(drop)
            .map_err(|error| refuse("VOUCHER_EVENT_VERIFY_KEYS", error))
    }
}

#[cfg(test)]
mod tests {
    use checkout_testing::DevSigningKey;

    use super::*;

    #[test]
    fn keys_are_read_as_text_or_from_a_file() {
        let key = DevSigningKey::generate().unwrap();
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
