use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;

use super::keys::KeySetError;

/// The longest `kid` repeated in an error; the rest is the sender's noise.
const MAX_KID_CHARS: usize = 64;

/// Why a bearer token was refused. The message is the reason to log: it never contains the
/// token (an [`UnknownKey`](Self::UnknownKey) names the header's `kid`, cut to 64 characters).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token is not meant for this service (aud)")]
    WrongAudience,
    #[error("no key {kid:?} in the issuer's key set")]
    UnknownKey { kid: String },
    #[error("the token's type (typ) is not an access token's")]
    NotAnAccessToken,
    #[error("the token's algorithm is not accepted, or does not match its key")]
    DisallowedAlgorithm,
    /// A required claim (`sub`, `exp`, `iss`, `aud`) or the header's `kid` is absent.
    #[error("the token has no {0}")]
    MissingClaim(&'static str),
    /// The issuer's keys could not be loaded; the token may well be valid.
    #[error("the issuer's keys are unavailable")]
    KeysUnavailable(#[source] Arc<KeySetError>),
}

impl AuthError {
    pub(super) fn unknown_key(kid: &str) -> Self {
        Self::UnknownKey {
            kid: kid.chars().take(MAX_KID_CHARS).collect(),
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidSignature => Self::BadSignature,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidIssuer => Self::WrongIssuer,
            ErrorKind::InvalidAudience => Self::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => Self::MissingClaim(match claim.as_str() {
                "exp" => "exp",
                "sub" => "sub",
                "iss" => "iss",
                "aud" => "aud",
                _ => "required claim",
            }),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::UnsupportedAlgorithm
            | ErrorKind::MissingAlgorithm
            | ErrorKind::InvalidKeyFormat => Self::DisallowedAlgorithm,
            ErrorKind::InvalidToken
            | ErrorKind::InvalidClaimFormat(_)
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => Self::Malformed,
            // Key errors cannot come from keys checked at load; treat anything else as a
            // signature that does not verify.
            _ => Self::BadSignature,
        }
    }
}
