//! A test identity provider: a signing key whose JWKS is served over real HTTP, tokens for
//! any caller, the forgeries an attacker would try, and key rotation.

use std::sync::{Arc, Mutex};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use serde_json::json;

use super::{AccessToken, DevSigningKey, JwksServer};
use checkout_auth::{AuthSettings, Scope};

/// The `iss` of the test identity provider's tokens.
pub const TEST_ISSUER: &str = "https://id.checkout.test/";

/// The shortest time between two JWKS fetches of a service with [`TestIssuer::settings`].
pub const REFETCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The audiences of the test tokens: both services'.
pub fn test_audiences() -> Vec<String> {
    vec!["order".to_owned(), "voucher".to_owned()]
}

/// Issues tokens signed by a key whose JWKS it serves until dropped.
pub struct TestIssuer {
    key: Mutex<Arc<DevSigningKey>>,
    jwks: JwksServer,
}

impl TestIssuer {
    pub async fn start() -> Self {
        let key = DevSigningKey::generate().expect("a signing key");
        let jwks = JwksServer::start(serde_json::to_value(key.jwks()).expect("a JWKS serializes")).await;
        Self {
            key: Mutex::new(Arc::new(key)),
            jwks,
        }
    }

    /// The settings of a service that trusts this issuer.
    pub fn settings(&self) -> AuthSettings {
        AuthSettings {
            auth_issuer: Some(TEST_ISSUER.to_owned()),
            auth_jwks_url: Some(self.jwks.url.clone()),
            auth_jwks_file: None,
            auth_leeway_secs: 0,
            auth_jwks_refetch_secs: REFETCH_INTERVAL.as_secs(),
            auth_jwks_max_age_secs: 300,
        }
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_requests(&self) -> usize {
        self.jwks.requests()
    }

    fn key(&self) -> Arc<DevSigningKey> {
        self.key.lock().expect("the key lock").clone()
    }

    /// `token` signed with the current key.
    pub fn sign(&self, token: &AccessToken) -> String {
        self.key().sign(token)
    }

    /// A customer's token (`sub` = `customer`) for both services.
    pub fn customer(&self, customer: &str, scopes: &[Scope]) -> String {
        self.sign(&AccessToken::customer(TEST_ISSUER, &test_audiences(), customer, scopes))
    }

    /// A service's own token (client credentials) for both services.
    pub fn client(&self, client: &str, scopes: &[Scope]) -> String {
        self.sign(&AccessToken::client(TEST_ISSUER, &test_audiences(), client, scopes))
    }

    /// Replaces the signing key and serves the new key's JWKS only (the old key is retired).
    /// A service picks the new key up on the first token naming it, if its last fetch is at
    /// least [`REFETCH_INTERVAL`] ago.
    pub fn rotate(&self) {
        let key = DevSigningKey::generate().expect("a signing key");
        self.jwks
            .serve(serde_json::to_value(key.jwks()).expect("a JWKS serializes"));
        *self.key.lock().expect("the key lock") = Arc::new(key);
    }

    /// Tokens for `customer` with `scopes` that a service must refuse with a 401, each with
    /// what is wrong with it.
    pub fn forgeries(&self, customer: &str, scopes: &[Scope]) -> Vec<(&'static str, String)> {
        let genuine = AccessToken::customer(TEST_ISSUER, &test_audiences(), customer, scopes);
        let now = get_current_timestamp();
        let valid = self.sign(&genuine);
        let claims = payload(&valid);
        let mut forged = vec![
            (
                "expired",
                self.sign(&AccessToken {
                    starts_at: Some(now - 7200),
                    ..genuine.clone()
                }),
            ),
            (
                "not yet valid",
                self.sign(&AccessToken {
                    starts_at: Some(now + 3600),
                    ..genuine.clone()
                }),
            ),
            (
                "wrong issuer",
                self.sign(&AccessToken {
                    issuer: "https://id.attacker.test/".to_owned(),
                    ..genuine.clone()
                }),
            ),
            (
                "wrong audience",
                self.sign(&AccessToken {
                    audiences: vec!["billing".to_owned()],
                    ..genuine.clone()
                }),
            ),
            (
                "unknown key",
                DevSigningKey::generate().expect("a signing key").sign(&genuine),
            ),
            (
                "signed by another key under the issuer's kid",
                DevSigningKey::generate()
                    .expect("a signing key")
                    .sign_with_kid(&genuine, self.key().jwk().common.key_id.clone()),
            ),
        ];
        let kid = self.key().jwk().common.key_id.clone();
        let none_header = json!({"alg": "none", "typ": "at+jwt", "kid": kid});
        forged.push((
            "alg none",
            format!("{}.{}.", b64(&none_header.to_string()), b64(&claims)),
        ));
        let mut hs256 = Header::new(Algorithm::HS256);
        hs256.kid = kid;
        let public_key = serde_json::to_string(self.key().jwk()).expect("a JWK serializes");
        let secret = EncodingKey::from_secret(public_key.as_bytes()).expect("any bytes are an HMAC key");
        let claims_value: serde_json::Value = serde_json::from_str(&claims).expect("claims are JSON");
        forged.push((
            "HS256 signed with the public key",
            jsonwebtoken::encode(&hs256, &claims_value, &secret).expect("HS256 signs"),
        ));
        let mut parts: Vec<&str> = valid.split('.').collect();
        let mut tampered = claims_value;
        tampered["scope"] = Scope::ALL.map(Scope::as_str).join(" ").into();
        tampered["sub"] = "someone-else".into();
        let tampered = b64(&tampered.to_string());
        parts[1] = &tampered;
        forged.push(("tampered payload", parts.join(".")));
        forged.push(("not a JWT", "not-a-token".to_owned()));
        forged
    }
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text.as_bytes())
}

/// The decoded claims of a compact JWT.
fn payload(token: &str) -> String {
    let encoded = token.split('.').nth(1).expect("a JWT has a payload");
    String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).expect("base64url")).expect("UTF-8 claims")
}

/// Asserts, without a token, that `/openapi.json` and `/docs` are open on the service at
/// `address` and `/health`, `/ready` and `/metrics` on its admin listener at `admin` (and
/// only there), and that the document declares the bearer scheme and, for each
/// `(method, path, scopes)`, the bearer requirement, the scopes, the rule in the description
/// and the 401 and 403 answers.
pub async fn assert_access_is_documented(address: &str, admin: &str, operations: &[(&str, &str, &[&str])]) {
    let client = reqwest::Client::new();
    for (base, path) in [
        (address, "/openapi.json"),
        (address, "/docs"),
        (admin, "/health"),
        (admin, "/ready"),
        (admin, "/metrics"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{base}{path} without a token");
    }
    for path in ["/health", "/ready", "/metrics"] {
        let response = client.get(format!("{address}{path}")).send().await.expect("GET");
        assert_eq!(response.status(), 404, "{path} is not on the public port");
    }
    let document: serde_json::Value = client
        .get(format!("{address}/openapi.json"))
        .send()
        .await
        .expect("GET /openapi.json")
        .json()
        .await
        .expect("a JSON document");
    let scheme = &document["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer")),
        "{scheme}"
    );
    for (method, path, scopes) in operations {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["security"], json!([{"bearerAuth": []}]), "{method} {path}");
        assert_eq!(operation["x-required-scopes"], json!(scopes), "{method} {path}");
        let description = operation["description"].as_str().unwrap_or_default();
        assert!(description.contains("**Requires**"), "{method} {path}: {description}");
        for status in ["401", "403"] {
            assert!(operation["responses"][status].is_object(), "{method} {path}: {status}");
        }
    }
    for path in ["/health", "/ready", "/metrics"] {
        assert!(
            document["paths"].get(path).is_none(),
            "{path} is not in the public document"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use checkout_auth::AuthError;

    #[tokio::test]
    async fn the_issuers_tokens_verify_its_forgeries_do_not_and_rotation_is_picked_up() {
        let issuer = TestIssuer::start().await;
        let verifier = issuer
            .settings()
            .verifier("order")
            .unwrap()
            .with_min_refetch_interval(Duration::ZERO);
        let alice = verifier
            .verify(&issuer.customer("alice", &[Scope::OrdersRead]))
            .await
            .unwrap();
        assert_eq!((alice.subject(), alice.is_client()), ("alice", false));
        assert!(alice.has(Scope::OrdersRead) && !alice.has(Scope::OrdersWrite));
        let service = verifier.verify(&issuer.client("checkout", &[])).await.unwrap();
        assert!(service.is_client());

        let forgeries = issuer.forgeries("alice", &[Scope::OrdersRead]);
        assert!(forgeries.len() >= 10);
        for (what, token) in forgeries {
            let refused = verifier.verify(&token).await;
            assert!(
                !matches!(refused, Ok(_) | Err(AuthError::KeysUnavailable(_))),
                "{what}: {refused:?}"
            );
        }

        let before = issuer.customer("alice", &[]);
        assert!(verifier.verify(&before).await.is_ok());
        issuer.rotate();
        let after = issuer.customer("alice", &[]);
        assert!(verifier.verify(&after).await.is_ok(), "the new key is fetched");
        assert!(
            matches!(verifier.verify(&before).await, Err(AuthError::UnknownKey { .. })),
            "a token of the retired key is refused, though it was verified before"
        );
    }
}
