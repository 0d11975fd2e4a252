//! The event signing keys of a test process: the order service under test signs with
//! [`event_keys`] and the voucher service under test trusts it; the voucher service signs with
//! [`voucher_event_keys`] and the order service trusts that one. Tests seal the events they
//! publish as either service with its key.

use std::sync::OnceLock;

use checkout_contract::signing::{EventSigner, EventVerifier};

use crate::DevSigningKey;

/// An Ed25519 key pair for events, as PEM and as a JWKS.
pub struct EventKeys {
    key: DevSigningKey,
    jwks: String,
}

impl EventKeys {
    /// A new pair (for a publisher the services under test must not trust).
    pub fn generate() -> Self {
        let key = DevSigningKey::generate().expect("an event signing key");
        let jwks = serde_json::to_string(&key.jwks()).expect("a JWKS serializes");
        Self { key, jwks }
    }

    /// The private key, for `EVENT_SIGNING_KEY`.
    pub fn pem(&self) -> &str {
        self.key.pem()
    }

    /// The public key's JWKS, for `EVENT_VERIFY_KEYS`.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    pub fn signer(&self) -> EventSigner {
        EventSigner::from_pem(self.pem()).expect("the test key signs")
    }

    pub fn verifier(&self) -> EventVerifier {
        EventVerifier::from_jwks(self.jwks.as_bytes()).expect("the test JWKS reads")
    }

    /// `payload` sealed with this key, as the order service would publish it.
    pub fn seal(&self, payload: &str) -> String {
        self.signer().seal(payload)
    }
}

/// The test process's event keys.
pub fn event_keys() -> &'static EventKeys {
    static KEYS: OnceLock<EventKeys> = OnceLock::new();
    KEYS.get_or_init(EventKeys::generate)
}

/// The test process's keys of the voucher service's events.
pub fn voucher_event_keys() -> &'static EventKeys {
    static KEYS: OnceLock<EventKeys> = OnceLock::new();
    KEYS.get_or_init(EventKeys::generate)
}
