//! Token verification against a JWKS served over real HTTP, with keys made at test time.

use std::{collections::BTreeSet, time::Duration};

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use poem::http::StatusCode;
use serde_json::json;

use checkout_auth::*;
use checkout_testing::test_keys::{AUDIENCE, ISSUER, JwksServer, TestKey, claims, claims_with, jwks};

fn verifier_on(server: &JwksServer) -> TokenVerifier {
    TokenVerifier::new(ISSUER, AUDIENCE, KeySource::Url(server.url.clone())).unwrap()
}

/// A server with one Ed25519 key, and a verifier on it.
async fn ed25519_setup() -> (TestKey, JwksServer, TokenVerifier) {
    let key = TestKey::generate(Algorithm::EdDSA, "ed-1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier_on(&server);
    (key, server, verifier)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_valid_token_of_each_algorithm_gives_its_principal_and_known_scopes() {
    let keys = [
        TestKey::generate(Algorithm::EdDSA, "ed-1"),
        TestKey::generate(Algorithm::RS256, "rsa-1"),
        TestKey::generate(Algorithm::ES256, "ec-1"),
    ];
    let server = JwksServer::start(jwks(&keys.each_ref())).await;
    let verifier = verifier_on(&server);
    for key in &keys {
        let principal = verifier.verify(&key.sign(&claims())).await.unwrap();
        assert_eq!(principal.subject(), "customer-42", "{:?}", key.algorithm);
        assert_eq!(
            principal.scopes(),
            &BTreeSet::from([Scope::OrdersRead, Scope::OrdersWrite])
        );
        assert!(principal.has(Scope::OrdersWrite) && !principal.has(Scope::OrdersAdmin));
        assert_eq!(principal.jti(), Some("token-1"));
    }
    assert_eq!(server.requests(), 1, "one load serves every later verification");
}

#[tokio::test]
async fn a_token_without_scope_or_jti_has_none() {
    let (key, _server, verifier) = ed25519_setup().await;
    let principal = verifier
        .verify(&key.sign(&claims_with(json!({"scope": null, "jti": null}))))
        .await
        .unwrap();
    assert!(principal.scopes().is_empty());
    assert_eq!(principal.jti(), None);
}

#[tokio::test]
async fn expiry_and_not_before_are_checked_with_the_leeway() {
    let (key, _server, verifier) = ed25519_setup().await;
    let now = get_current_timestamp();
    let verify = |changes| verifier.verify_owned(key.sign(&claims_with(changes)));
    assert!(matches!(
        verify(json!({"exp": now - 120})).await,
        Err(AuthError::Expired)
    ));
    assert!(matches!(
        verify(json!({"nbf": now + 120})).await,
        Err(AuthError::NotYetValid)
    ));
    verify(json!({"exp": now - 10}))
        .await
        .expect("expired 10 s ago, within the 30 s leeway");
    verify(json!({"nbf": now + 10}))
        .await
        .expect("valid in 10 s, within the 30 s leeway");

    let strict = verifier.with_leeway(Duration::ZERO);
    let token = key.sign(&claims_with(json!({"exp": now - 10})));
    assert!(matches!(strict.verify(&token).await, Err(AuthError::Expired)));
}

#[tokio::test]
async fn issuer_and_audience_must_be_ours() {
    let (key, _server, verifier) = ed25519_setup().await;
    let verify = |changes| verifier.verify_owned(key.sign(&claims_with(changes)));
    let refused = verify(json!({"iss": "https://evil.example.test/"})).await;
    assert!(matches!(refused, Err(AuthError::WrongIssuer)), "{refused:?}");
    let refused = verify(json!({"aud": "voucher"})).await;
    assert!(matches!(refused, Err(AuthError::WrongAudience)), "{refused:?}");
    let refused = verify(json!({"aud": ["voucher", "billing"]})).await;
    assert!(matches!(refused, Err(AuthError::WrongAudience)), "{refused:?}");
    let refused = verify(json!({"aud": []})).await;
    assert!(matches!(refused, Err(AuthError::WrongAudience)), "{refused:?}");
    verify(json!({"aud": ["voucher", AUDIENCE]}))
        .await
        .expect("an audience array containing ours");
}

#[tokio::test]
async fn required_claims_must_be_present() {
    let (key, _server, verifier) = ed25519_setup().await;
    let verify = |changes| verifier.verify_owned(key.sign(&claims_with(changes)));
    for claim in ["sub", "exp", "iss", "aud"] {
        let refused = verify(json!({ claim: null })).await;
        assert!(
            matches!(refused, Err(AuthError::MissingClaim(c)) if c == claim),
            "{claim}: {refused:?}"
        );
    }
    let refused = verify(json!({"sub": ""})).await;
    assert!(matches!(refused, Err(AuthError::MissingClaim("sub"))), "{refused:?}");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (key, _server, verifier) = ed25519_setup().await;
    let payload = b64(claims().to_string().as_bytes());
    for header in [json!({"alg": "none"}), json!({"alg": "none", "kid": key.kid})] {
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        let refused = verifier.verify(&token).await;
        // The library knows no `none` algorithm, so the header does not parse.
        assert!(matches!(refused, Err(AuthError::Malformed)), "{refused:?}");
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    let rsa = TestKey::generate(Algorithm::RS256, "rsa-1");
    let server = JwksServer::start(jwks(&[&rsa])).await;
    let verifier = verifier_on(&server);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(rsa.kid.clone());
    for secret in [
        rsa.public_pem.clone(),
        rsa.jwk()["n"].as_str().unwrap().as_bytes().to_vec(),
    ] {
        let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&secret).unwrap()).unwrap();
        let refused = verifier.verify(&token).await;
        assert!(matches!(refused, Err(AuthError::DisallowedAlgorithm)), "{refused:?}");
    }
    assert_eq!(server.requests(), 0, "a refused algorithm loads no keys");
}

#[tokio::test]
async fn a_token_whose_algorithm_does_not_match_its_key_is_refused() {
    let rsa = TestKey::generate(Algorithm::RS256, "rsa-1");
    let ec = TestKey::generate(Algorithm::ES256, "ec-1");
    let server = JwksServer::start(jwks(&[&rsa, &ec])).await;
    let verifier = verifier_on(&server);
    // Signed with the EC key, but naming the RSA key.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(rsa.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims(), &ec.encoding).unwrap();
    let refused = verifier.verify(&token).await;
    assert!(matches!(refused, Err(AuthError::DisallowedAlgorithm)), "{refused:?}");
}

#[tokio::test]
async fn other_accepted_algorithms_of_the_same_family_are_refused() {
    let (key, _server, verifier) = ed25519_setup().await;
    let rsa = TestKey::generate(Algorithm::RS256, &key.kid);
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let mut header = Header::new(alg);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims(), &rsa.encoding).unwrap();
        let refused = verifier.verify(&token).await;
        assert!(
            matches!(refused, Err(AuthError::DisallowedAlgorithm)),
            "{alg:?}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn a_tampered_payload_fails_the_signature() {
    let (key, _server, verifier) = ed25519_setup().await;
    let genuine = key.sign(&claims());
    let forged = key.sign(&claims_with(json!({"scope": "orders:admin"})));
    let [header, _, signature]: [&str; 3] = genuine.split('.').collect::<Vec<_>>().try_into().unwrap();
    let forged_payload = forged.split('.').nth(1).unwrap();
    let tampered = format!("{header}.{forged_payload}.{signature}");
    let refused = verifier.verify(&tampered).await;
    assert!(matches!(refused, Err(AuthError::BadSignature)), "{refused:?}");
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_a_known_kid_fails_the_signature() {
    let (key, _server, verifier) = ed25519_setup().await;
    let impostor = TestKey::generate(Algorithm::EdDSA, &key.kid);
    let refused = verifier.verify(&impostor.sign(&claims())).await;
    assert!(matches!(refused, Err(AuthError::BadSignature)), "{refused:?}");
    let rsa = TestKey::generate(Algorithm::RS256, "rsa-1");
    let rsa_server = JwksServer::start(jwks(&[&rsa])).await;
    let impostor = TestKey::generate(Algorithm::RS256, "rsa-1");
    let refused = verifier_on(&rsa_server).verify(&impostor.sign(&claims())).await;
    assert!(matches!(refused, Err(AuthError::BadSignature)), "{refused:?}");
}

#[tokio::test]
async fn garbage_is_malformed_and_nothing_is_missing() {
    let (key, server, verifier) = ed25519_setup().await;
    for garbage in ["garbage", "a.b.c", "a.b", "....", "Bearer x.y.z", "\u{0}.\u{0}.\u{0}"] {
        let refused = verifier.verify(garbage).await;
        assert!(matches!(refused, Err(AuthError::Malformed)), "{garbage}: {refused:?}");
    }
    let oversized = format!("{}.{}.sig", b64(br#"{"alg":"EdDSA","kid":"ed-1"}"#), "A".repeat(20_000));
    assert!(matches!(verifier.verify(&oversized).await, Err(AuthError::Malformed)));
    assert!(matches!(verifier.verify("").await, Err(AuthError::Missing)));
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap();
    assert!(matches!(
        verifier.verify(&no_kid).await,
        Err(AuthError::MissingClaim("kid"))
    ));
    assert_eq!(server.requests(), 0, "nothing here needed a key");
    // Correctly signed, so the payload is read: it must be a JSON object of the right types.
    let header = b64(br#"{"alg":"EdDSA","kid":"ed-1"}"#);
    let mut wrong_scope = claims();
    wrong_scope["scope"] = json!(["orders:read"]);
    for payload in [
        b"not json".to_vec(),
        b"[]".to_vec(),
        wrong_scope.to_string().into_bytes(),
    ] {
        let message = format!("{header}.{}", b64(&payload));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, Algorithm::EdDSA).unwrap();
        let refused = verifier.verify(&format!("{message}.{signature}")).await;
        assert!(
            matches!(refused, Err(AuthError::Malformed)),
            "{}: {refused:?}",
            String::from_utf8_lossy(&payload)
        );
    }
}

#[tokio::test]
async fn an_unknown_kid_reloads_the_keys_and_picks_up_a_rotated_key() {
    let (old, server, verifier) = ed25519_setup().await;
    let verifier = verifier.with_min_refetch_interval(Duration::ZERO);
    verifier.verify(&old.sign(&claims())).await.unwrap();
    let new = TestKey::generate(Algorithm::RS256, "rsa-2");
    server.serve(jwks(&[&new]));
    verifier
        .verify(&new.sign(&claims()))
        .await
        .expect("the rotated key, without a restart");
    assert_eq!(server.requests(), 2);
    // The old key left the set, so its tokens now fail.
    let refused = verifier.verify(&old.sign(&claims())).await;
    assert!(
        matches!(&refused, Err(AuthError::UnknownKey { kid }) if kid == "ed-1"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn concurrent_tokens_of_a_rotated_key_all_pass_on_one_reload() {
    let (old, server, verifier) = ed25519_setup().await;
    let verifier = std::sync::Arc::new(verifier.with_min_refetch_interval(Duration::from_millis(300)));
    verifier.verify(&old.sign(&claims())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let new = TestKey::generate(Algorithm::EdDSA, "ed-2");
    server.serve(jwks(&[&old, &new]));
    let token = new.sign(&claims());
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (verifier, token) = (verifier.clone(), token.clone());
        requests.spawn(async move { verifier.verify(&token).await });
    }
    while let Some(result) = requests.join_next().await {
        result
            .unwrap()
            .expect("each waits for the one reload and finds the new key");
    }
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn unknown_kids_reload_the_keys_at_most_once_per_interval() {
    let (key, server, verifier) = ed25519_setup().await;
    let verifier = std::sync::Arc::new(verifier.with_min_refetch_interval(Duration::from_millis(300)));
    verifier.verify(&key.sign(&claims())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;

    let stranger = |kid: &str| TestKey::generate(Algorithm::EdDSA, kid).sign(&claims());
    let (first, second) = (stranger("random-1"), stranger("random-2"));
    assert!(matches!(
        verifier.verify(&first).await,
        Err(AuthError::UnknownKey { .. })
    ));
    assert!(matches!(
        verifier.verify(&second).await,
        Err(AuthError::UnknownKey { .. })
    ));
    assert_eq!(
        server.requests(),
        2,
        "the second unknown kid, within the interval, fetched nothing"
    );

    tokio::time::sleep(Duration::from_millis(350)).await;
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (verifier, token) = (verifier.clone(), second.clone());
        flood.spawn(async move { verifier.verify(&token).await });
    }
    while let Some(result) = flood.join_next().await {
        assert!(matches!(result.unwrap(), Err(AuthError::UnknownKey { .. })));
    }
    assert_eq!(server.requests(), 3, "50 concurrent unknown kids, one fetch");
    verifier
        .verify(&key.sign(&claims()))
        .await
        .expect("the cached key still verifies");
}

#[tokio::test]
async fn unavailable_keys_are_reported_as_such_and_cached_keys_keep_working() {
    let (key, server, verifier) = ed25519_setup().await;
    let verifier = verifier.with_min_refetch_interval(Duration::ZERO);
    server.answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    let refused = verifier.verify(&key.sign(&claims())).await;
    assert!(
        matches!(&refused, Err(AuthError::KeysUnavailable(e)) if e.to_string().contains("503")),
        "{refused:?}"
    );

    server.serve(json!({"keys": []}));
    let refused = verifier.verify(&key.sign(&claims())).await;
    assert!(
        matches!(&refused, Err(AuthError::KeysUnavailable(_))),
        "an empty set is not a usable set"
    );

    server.serve(jwks(&[&key]));
    verifier
        .verify(&key.sign(&claims()))
        .await
        .expect("recovers once the keys are back");
    server.answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    let stranger = TestKey::generate(Algorithm::EdDSA, "random").sign(&claims());
    assert!(matches!(
        verifier.verify(&stranger).await,
        Err(AuthError::KeysUnavailable(_))
    ));
    verifier
        .verify(&key.sign(&claims()))
        .await
        .expect("a failed reload keeps the cached keys");
}

#[tokio::test]
async fn unavailable_keys_are_not_asked_for_again_within_the_interval() {
    let key = TestKey::generate(Algorithm::EdDSA, "ed-1");
    let server = JwksServer::start(json!({})).await;
    server.answer(StatusCode::BAD_GATEWAY, json!({}));
    let verifier = verifier_on(&server);
    for _ in 0..3 {
        assert!(matches!(
            verifier.verify(&key.sign(&claims())).await,
            Err(AuthError::KeysUnavailable(_))
        ));
    }
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_jwks_file_is_read_and_reread_for_an_unknown_kid() {
    let path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::new_v4()));
    let old = TestKey::generate(Algorithm::EdDSA, "ed-1");
    std::fs::write(&path, jwks(&[&old]).to_string()).unwrap();
    let verifier = TokenVerifier::new(ISSUER, AUDIENCE, KeySource::File(path.clone()))
        .unwrap()
        .with_min_refetch_interval(Duration::ZERO);
    verifier.verify(&old.sign(&claims())).await.unwrap();
    let new = TestKey::generate(Algorithm::ES256, "ec-2");
    std::fs::write(&path, jwks(&[&old, &new]).to_string()).unwrap();
    verifier
        .verify(&new.sign(&claims()))
        .await
        .expect("the file is read again");
    std::fs::remove_file(&path).unwrap();
    let stranger = TestKey::generate(Algorithm::EdDSA, "random").sign(&claims());
    let refused = verifier.verify(&stranger).await;
    assert!(
        matches!(&refused, Err(AuthError::KeysUnavailable(e)) if e.to_string().contains("jwks-")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn no_refusal_message_contains_the_token() {
    let (key, _server, verifier) = ed25519_setup().await;
    let verifier = verifier.with_min_refetch_interval(Duration::ZERO);
    let now = get_current_timestamp();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let hs256 = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(b"secret").unwrap()).unwrap();
    let tokens = [
        key.sign(&claims_with(json!({"exp": now - 600}))),
        key.sign(&claims_with(json!({"nbf": now + 600}))),
        key.sign(&claims_with(json!({"iss": "x"}))),
        key.sign(&claims_with(json!({"aud": "x"}))),
        key.sign(&claims_with(json!({"sub": null}))),
        TestKey::generate(Algorithm::EdDSA, &key.kid).sign(&claims()),
        TestKey::generate(Algorithm::EdDSA, &"k".repeat(500)).sign(&claims()),
        hs256,
        "not.a.token-at-all".to_owned(),
    ];
    for token in &tokens {
        let error = verifier.verify(token).await.unwrap_err();
        let shown = format!("{error} {error:?}");
        for part in token.split('.').filter(|p| p.len() > 8) {
            assert!(!shown.contains(part), "{shown:?} contains part of the token");
        }
    }
}

#[test]
fn bearer_tokens_are_taken_from_the_authorization_header() {
    assert_eq!(bearer_token(Some("Bearer abc.def.ghi")).unwrap(), "abc.def.ghi");
    assert_eq!(bearer_token(Some("bearer abc")).unwrap(), "abc");
    for refused in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Basic dXNlcjpwYXNz"),
        Some("abc.def.ghi"),
    ] {
        assert!(matches!(bearer_token(refused), Err(AuthError::Missing)), "{refused:?}");
    }
}

#[tokio::test]
async fn a_key_the_issuer_retired_stops_verifying_once_the_key_set_is_old() {
    let old = TestKey::generate(Algorithm::EdDSA, "old");
    let new = TestKey::generate(Algorithm::EdDSA, "new");
    let server = JwksServer::start(jwks(&[&old])).await;
    let verifier = verifier_on(&server)
        .with_min_refetch_interval(Duration::ZERO)
        .with_max_key_age(Duration::from_millis(300));
    let token = old.sign(&claims());
    verifier.verify(&token).await.unwrap();
    server.serve(jwks(&[&new]));
    assert!(
        verifier.verify(&token).await.is_ok(),
        "a young key set is not fetched again"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let refused = verifier.verify(&token).await;
    assert!(matches!(refused, Err(AuthError::UnknownKey { .. })), "{refused:?}");
    assert!(verifier.verify(&new.sign(&claims())).await.is_ok());
}

#[tokio::test]
async fn a_remembered_token_is_checked_again_when_its_kid_names_another_key() {
    let first = TestKey::generate(Algorithm::EdDSA, "k");
    let server = JwksServer::start(jwks(&[&first])).await;
    let verifier = verifier_on(&server);
    let token = first.sign(&claims());
    verifier.verify(&token).await.unwrap();
    server.serve(jwks(&[&TestKey::generate(Algorithm::EdDSA, "k")]));
    verifier.refresh_keys().await.unwrap();
    let refused = verifier.verify(&token).await;
    assert!(matches!(refused, Err(AuthError::BadSignature)), "{refused:?}");
}

#[tokio::test]
async fn a_jwt_of_another_kind_is_refused_by_its_type() {
    let (key, _server, verifier) = ed25519_setup().await;
    let signed = |typ: Option<&str>| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap()
    };
    for typ in [None, Some("at+jwt"), Some("application/at+JWT"), Some("JWT")] {
        assert!(verifier.verify(&signed(typ)).await.is_ok(), "{typ:?}");
    }
    for typ in ["logout+jwt", "secevent+jwt", "dpop+jwt", "application/id-token+jwt"] {
        let refused = verifier.verify(&signed(Some(typ))).await;
        assert!(
            matches!(refused, Err(AuthError::NotAnAccessToken)),
            "{typ}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn a_token_verified_before_is_refused_once_it_expires() {
    let (key, server, verifier) = ed25519_setup().await;
    let verifier = verifier.with_leeway(Duration::ZERO);
    let token = key.sign(&claims_with(json!({"exp": get_current_timestamp() + 1})));
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.verify(&token).await.unwrap(), first, "answered from memory");
    let fetches = server.requests();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let refused = verifier.verify(&token).await;
    assert!(matches!(refused, Err(AuthError::Expired)), "{refused:?}");
    assert_eq!(server.requests(), fetches);
}

/// `verify` on an owned token, for closures that build it.
trait VerifyOwned {
    async fn verify_owned(&self, token: String) -> Result<Principal, AuthError>;
}

impl VerifyOwned for TokenVerifier {
    async fn verify_owned(&self, token: String) -> Result<Principal, AuthError> {
        self.verify(&token).await
    }
}
