//! Verification of OAuth 2.0 bearer access tokens (JWT, RFC 9068) against the identity
//! provider's published keys: who the caller is ([`Principal`]) and what it may do
//! ([`Scope`]).
//!
//! Only RS256, ES256 and EdDSA are accepted, each only with a key of its type. `iss` must be
//! the configured issuer, `aud` must contain the service's audience, `exp` and `sub` are
//! required, and `exp`/`nbf` are checked with a leeway. Keys are cached by `kid`; an unknown
//! `kid` reloads the key set (the issuer rotated its keys), at most once per interval.

#![forbid(unsafe_code)]

mod access;
mod error;
mod keys;
mod principal;
mod scope;
mod settings;
mod verifier;

pub use access::{AccessDenied, Listing, Permission, Reach, acting_for};
pub use error::AuthError;
pub use keys::{KeySetError, KeySource};
pub use principal::Principal;
pub use scope::{Scope, UnknownScope};
pub use settings::{AuthConfigError, AuthSettings};
pub use verifier::{DEFAULT_LEEWAY, DEFAULT_MAX_KEY_AGE, DEFAULT_MIN_REFETCH_INTERVAL, TokenVerifier};

/// The token of an `Authorization: Bearer <token>` header value (RFC 6750; the scheme is
/// case-insensitive).
///
/// # Errors
/// [`AuthError::Missing`] if there is no header or it is not a bearer token.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
    let token = token.trim_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}
