//! Bearer authentication of the API operations (RFC 6750): the security scheme the
//! documents declare, the extractor that verifies the token, and the problems a refused
//! caller gets.

use std::sync::Arc;

use poem::{Request, RequestBody, http::header};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaSecurityScheme, Registry},
};

use super::ApiError;
use checkout_auth::{AuthError, Principal, TokenVerifier, bearer_token};

/// The security scheme's name in the OpenAPI documents.
pub const BEARER_SCHEME: &str = "bearerAuth";

/// The verified caller of an operation. Make it an operation's first parameter, so the
/// token is checked before anything else of the request is read: a caller without a valid
/// token learns nothing about the request's other faults.
///
/// The service's [`TokenVerifier`] must be in the request's data (`Arc<TokenVerifier>`).
pub struct Authenticated(pub Principal);

/// The route was built without a verifier: a wiring fault, answered with a 500.
#[derive(Debug, thiserror::Error)]
#[error("no token verifier in the request data")]
struct NoVerifier;

impl<'a> ApiExtractor<'a> for Authenticated {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            BEARER_SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "An OAuth 2.0 access token (JWT, RFC 9068) from the shop's identity provider, \
                     sent as `Authorization: Bearer <token>`. Each operation lists the scopes it needs \
                     (`x-required-scopes`).",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("JWT"),
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![BEARER_SCHEME]
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        // The rate limit verified the token already, to know whom to count.
        if let Some(VerifiedCaller(verified)) = request.extensions().get::<VerifiedCaller>() {
            return match verified {
                Ok(principal) => Ok(Self(principal.clone())),
                Err(e) => Err(ApiError::unauthenticated(e).into()),
            };
        }
        let verifier = request
            .data::<Arc<TokenVerifier>>()
            .ok_or_else(|| ApiError::internal(&NoVerifier))?;
        let principal = verify_authorization(verifier, request)
            .await
            .unwrap_or(Err(AuthError::Missing));
        match principal {
            Ok(principal) => Ok(Self(principal)),
            Err(e) => Err(ApiError::unauthenticated(&e).into()),
        }
    }
}

/// The outcome of verifying the bearer token of the request's `Authorization` header, or
/// `None` without that header.
/// The outcome of verifying a request's token, left in the request by a middleware that
/// verified it first (the rate limit), so that the extractor does not verify it twice.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedCaller(pub(crate) Result<Principal, AuthError>);

pub(super) async fn verify_authorization(
    verifier: &TokenVerifier,
    request: &Request,
) -> Option<Result<Principal, AuthError>> {
    let value = request.headers().get(header::AUTHORIZATION)?;
    Some(match value.to_str().map_err(|_| AuthError::Malformed) {
        Ok(value) => match bearer_token(Some(value)) {
            Ok(token) => verifier.verify(token).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    })
}
