//! `checkout-token keygen` and `mint`, run as the binary, their output checked with
//! `checkout_auth::TokenVerifier`.

use std::{
    collections::BTreeSet,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};

use base64::Engine;
use checkout_auth::{AuthError, KeySource, Scope, TokenVerifier};
use serde_json::Value;

const ISSUER: &str = "https://id.example.test/";

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("checkout-token-{}", uuid::Uuid::new_v4()));
        fs::create_dir(&path).unwrap();
        Self(path)
    }

    fn key(&self) -> PathBuf {
        self.0.join("auth/signing-key.pem")
    }

    fn jwks(&self) -> PathBuf {
        self.0.join("auth/jwks.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with `args`, without the variables that change its defaults.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checkout-token"))
        .args(args)
        .env_remove("AUTH_ISSUER")
        .env_remove("ORDER_AUTH_AUDIENCE")
        .env_remove("VOUCHER_AUTH_AUDIENCE")
        .output()
        .expect("checkout-token runs")
}

fn succeeds(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A directory with a key pair made by `keygen DIR/auth`.
fn keygen() -> TempDir {
    let dir = TempDir::new();
    succeeds(run(&["keygen", dir.0.join("auth").to_str().unwrap()]));
    dir
}

/// `mint --key .. --jwks .. --issuer ISSUER` with `args` appended; the token printed.
fn mint(dir: &TempDir, args: &[&str]) -> Output {
    let (key, jwks) = (dir.key(), dir.jwks());
    let paths = ["mint", "--key", key.to_str().unwrap(), "--jwks", jwks.to_str().unwrap()];
    run(&[&paths[..], &["--issuer", ISSUER], args].concat())
}

fn token(dir: &TempDir, args: &[&str]) -> String {
    succeeds(mint(dir, args)).trim_end().to_owned()
}

fn verifier(jwks: &Path, issuer: &str, audience: &str) -> TokenVerifier {
    TokenVerifier::new(issuer, audience, KeySource::File(jwks.to_owned())).unwrap()
}

fn jwks_keys(path: &Path) -> Vec<Value> {
    let document: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    document["keys"].as_array().unwrap().clone()
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn keygen_writes_a_key_only_its_owner_reads_and_a_jwks_the_verifier_loads() {
    let dir = keygen();
    let mode = fs::metadata(dir.key()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert!(
        fs::read_to_string(dir.key())
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    let keys = jwks_keys(&dir.jwks());
    assert_eq!(keys.len(), 1);
    for (field, value) in [("kty", "OKP"), ("crv", "Ed25519"), ("alg", "EdDSA"), ("use", "sig")] {
        assert_eq!(keys[0][field], value, "{field}");
    }
    assert_eq!(keys[0]["x"].as_str().unwrap().len(), 43, "32 bytes, base64url");
    assert!(!keys[0]["kid"].as_str().unwrap().is_empty());
    verifier(&dir.jwks(), ISSUER, "order")
        .refresh_keys()
        .await
        .expect("the verifier loads the JWKS");
}

#[test]
fn keygen_again_keeps_the_key_and_restores_its_jwks() {
    let dir = keygen();
    let (key, jwks) = (fs::read(dir.key()).unwrap(), fs::read(dir.jwks()).unwrap());
    succeeds(run(&["keygen", dir.0.join("auth").to_str().unwrap()]));
    assert_eq!(fs::read(dir.key()).unwrap(), key);
    assert_eq!(fs::read(dir.jwks()).unwrap(), jwks, "same key, same kid");
    fs::remove_file(dir.jwks()).unwrap();
    succeeds(run(&["keygen", dir.0.join("auth").to_str().unwrap()]));
    assert_eq!(fs::read(dir.jwks()).unwrap(), jwks);
    let other = keygen();
    assert_ne!(jwks_keys(&other.jwks())[0]["kid"], jwks_keys(&dir.jwks())[0]["kid"]);
}

#[tokio::test]
async fn a_minted_token_verifies_for_each_default_audience_with_its_subject_and_scopes() {
    let dir = keygen();
    let token = token(&dir, &["alice", "orders:write", "vouchers:read"]);
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), jwks_keys(&dir.jwks())[0]["kid"].as_str());
    let claims = payload(&token);
    assert_eq!(claims["aud"], serde_json::json!(["order", "voucher"]));
    assert_eq!(claims["scope"], "orders:write vouchers:read");
    assert_eq!(claims["iat"], claims["nbf"]);
    assert_eq!(claims["exp"].as_u64(), claims["iat"].as_u64().map(|iat| iat + 3600));
    for audience in ["order", "voucher"] {
        let principal = verifier(&dir.jwks(), ISSUER, audience).verify(&token).await.unwrap();
        assert_eq!(principal.subject(), "alice");
        assert_eq!(
            principal.scopes(),
            &BTreeSet::from([Scope::OrdersWrite, Scope::VouchersRead])
        );
        let jti = uuid::Uuid::parse_str(principal.jti().unwrap()).unwrap();
        assert_eq!(jti.get_version_num(), 4);
    }
}

#[tokio::test]
async fn a_minted_token_is_refused_by_another_audience_or_issuer() {
    let dir = keygen();
    let token = token(&dir, &["alice", "orders:read"]);
    let other_audience = verifier(&dir.jwks(), ISSUER, "billing").verify(&token).await;
    assert!(
        matches!(other_audience, Err(AuthError::WrongAudience)),
        "{other_audience:?}"
    );
    let other_issuer = verifier(&dir.jwks(), "https://other.example.test/", "order")
        .verify(&token)
        .await;
    assert!(matches!(other_issuer, Err(AuthError::WrongIssuer)), "{other_issuer:?}");
}

#[tokio::test]
async fn given_audiences_replace_the_defaults() {
    let dir = keygen();
    let token = token(&dir, &["--audience", "billing", "--audience", "shipping", "bob"]);
    assert_eq!(payload(&token)["aud"], serde_json::json!(["billing", "shipping"]));
    assert!(payload(&token).get("scope").is_none(), "no scopes, no scope claim");
    let principal = verifier(&dir.jwks(), ISSUER, "shipping").verify(&token).await.unwrap();
    assert!(principal.scopes().is_empty());
    let order = verifier(&dir.jwks(), ISSUER, "order").verify(&token).await;
    assert!(matches!(order, Err(AuthError::WrongAudience)), "{order:?}");
}

#[test]
fn the_issuer_defaults_to_the_development_one_or_auth_issuer() {
    let dir = keygen();
    let (key, jwks) = (dir.key(), dir.jwks());
    let args = [
        "mint",
        "--key",
        key.to_str().unwrap(),
        "--jwks",
        jwks.to_str().unwrap(),
        "carol",
    ];
    let token = succeeds(run(&args));
    assert_eq!(payload(token.trim_end())["iss"], "http://127.0.0.1/checkout-dev");
    let output = Command::new(env!("CARGO_BIN_EXE_checkout-token"))
        .args(args)
        .env("AUTH_ISSUER", ISSUER)
        .env("ORDER_AUTH_AUDIENCE", "orders-api")
        .env_remove("VOUCHER_AUTH_AUDIENCE")
        .output()
        .unwrap();
    let claims = payload(succeeds(output).trim_end());
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], serde_json::json!(["orders-api", "voucher"]));
}

#[test]
fn an_unknown_scope_is_refused_naming_the_known_ones() {
    let dir = keygen();
    let output = mint(&dir, &["alice", "orders:read", "orders:delete"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no token");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("orders:delete"), "{stderr}");
    for scope in Scope::ALL {
        assert!(stderr.contains(scope.as_str()), "{stderr}");
    }
}

#[test]
fn a_key_the_jwks_does_not_hold_is_refused() {
    let (dir, other) = (keygen(), keygen());
    let (key, jwks) = (dir.key(), other.jwks());
    let output = run(&[
        "mint",
        "--key",
        key.to_str().unwrap(),
        "--jwks",
        jwks.to_str().unwrap(),
        "alice",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("keygen"), "{stderr}");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let dir = keygen();
    let token = token(&dir, &["--ttl-secs", "0", "alice"]);
    // `exp` is the minting second; it is past once the next second begins.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let verified = verifier(&dir.jwks(), ISSUER, "order")
        .with_leeway(Duration::ZERO)
        .verify(&token)
        .await;
    assert!(matches!(verified, Err(AuthError::Expired)), "{verified:?}");
}

#[tokio::test]
async fn a_customer_token_is_issued_to_the_front_end_and_a_client_token_to_itself() {
    let dir = keygen();
    let customer = token(&dir, &["alice", "orders:write"]);
    assert_eq!(payload(&customer)["client_id"], "checkout-web");
    let verifier = verifier(&dir.jwks(), ISSUER, "order");
    assert!(!verifier.verify(&customer).await.unwrap().is_client());

    let client = token(&dir, &["--client", "fulfilment", "orders:status"]);
    assert_eq!(payload(&client)["client_id"], "fulfilment");
    let service = verifier.verify(&client).await.unwrap();
    assert!(service.is_client());
    assert!(service.has(Scope::OrdersStatus));
}
