//! Signing keys and access tokens for development and tests: an Ed25519 key, the JWKS of
//! its public key, and RFC 9068 access tokens signed with it. In production the identity
//! provider issues the tokens; the services only verify them and never call this.

use std::time::Duration;

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, KeypairBytes, spki::der::pem::LineEnding},
};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header, get_current_timestamp,
    jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash},
};
use serde_json::json;

use checkout_auth::Scope;

/// The `client_id` of tokens issued to a customer by [`AccessToken::customer`]: the shop's
/// front end that the customer signed in to.
pub const DEV_FRONTEND_CLIENT: &str = "checkout-web";

/// A development key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
    #[error("cannot encode the key as PKCS#8: {0}")]
    Encoding(String),
    #[error("not an Ed25519 private key in PKCS#8 PEM: {0}")]
    Key(#[source] jsonwebtoken::errors::Error),
}

/// An Ed25519 signing key, with its public key as a JWK whose `kid` is the RFC 7638
/// thumbprint.
pub struct DevSigningKey {
    pem: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl DevSigningKey {
    /// A new key from the operating system's CSPRNG.
    ///
    /// # Errors
    /// No randomness is available.
    pub fn generate() -> Result<Self, DevKeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(DevKeyError::Random)?;
        // PKCS#8 v1 (no public key), as `openssl genpkey` writes: jsonwebtoken reads no other.
        let pem = KeypairBytes {
            secret_key: SigningKey::from_bytes(&seed).to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| DevKeyError::Encoding(e.to_string()))?;
        Self::from_pem(pem.as_bytes())
    }

    /// The key in `pem` (PKCS#8, as [`pem`](Self::pem) writes it).
    ///
    /// # Errors
    /// `pem` is not an Ed25519 private key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, DevKeyError> {
        let encoding = EncodingKey::from_ed_pem(pem).map_err(DevKeyError::Key)?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).map_err(DevKeyError::Key)?;
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_id = Some(jwk.thumbprint(ThumbprintHash::SHA256).map_err(DevKeyError::Key)?);
        Ok(Self {
            pem: String::from_utf8_lossy(pem).into_owned(),
            encoding,
            jwk,
        })
    }

    /// The private key, PKCS#8 PEM: keep it out of logs and repositories.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The public key's JWKS entry.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// A JWKS holding the public key only.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// `token` signed with this key, as an `at+jwt` with the key's `kid`.
    pub fn sign(&self, token: &AccessToken) -> String {
        self.sign_with_kid(token, self.jwk.common.key_id.clone())
    }

    /// `token` signed with this key but naming `kid` (for a JWKS that lists the key under
    /// another id).
    pub fn sign_with_kid(&self, token: &AccessToken, kid: Option<String>) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".to_owned());
        header.kid = kid;
        jsonwebtoken::encode(&header, &token.claims(), &self.encoding).expect("an Ed25519 key signs any claims")
    }
}

/// What an access token says (RFC 9068): who, for which services, what it may do, how long.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub subject: String,
    pub client_id: String,
    pub scopes: Vec<Scope>,
    /// How long the token is valid, from `starts_at`.
    pub ttl: Duration,
    /// When the token becomes valid (`iat`, `nbf`; seconds since the epoch): now if `None`.
    pub starts_at: Option<u64>,
}

impl AccessToken {
    /// A customer's token: `sub` is the customer id, issued to the shop's front end.
    pub fn customer(issuer: &str, audiences: &[String], customer: &str, scopes: &[Scope]) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audiences: audiences.to_vec(),
            subject: customer.to_owned(),
            client_id: DEV_FRONTEND_CLIENT.to_owned(),
            scopes: scopes.to_vec(),
            ttl: Duration::from_secs(3600),
            starts_at: None,
        }
    }

    /// A service's own token (client credentials grant): `sub` and `client_id` are the
    /// service's client id.
    pub fn client(issuer: &str, audiences: &[String], client: &str, scopes: &[Scope]) -> Self {
        Self {
            client_id: client.to_owned(),
            ..Self::customer(issuer, audiences, client, scopes)
        }
    }

    fn claims(&self) -> serde_json::Value {
        let now = self.starts_at.unwrap_or_else(get_current_timestamp);
        let mut claims = json!({
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.audiences,
            "client_id": self.client_id,
            "exp": now.saturating_add(self.ttl.as_secs()),
            "iat": now,
            "nbf": now,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        if !self.scopes.is_empty() {
            let scopes: Vec<_> = self.scopes.iter().map(|s| s.as_str()).collect();
            claims["scope"] = scopes.join(" ").into();
        }
        claims
    }
}
