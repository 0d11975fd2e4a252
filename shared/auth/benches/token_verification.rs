//! What verifying an access token costs a request, per algorithm: the first request with a
//! token (signature and claims checked, the issuer's key already cached) and every later
//! request with the same token (answered from the verified-token memory).
//!
//! `cargo bench -p checkout-auth --bench token_verification [-- --json FILE]`. RSA and EC keys are
//! generated with `openssl`; Ed25519 keys are the development keys of `checkout-token`.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use checkout_auth::{KeySource, TokenVerifier};
use checkout_testing::DevSigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp, jwk::Jwk};
use serde_json::json;

const ISSUER: &str = "https://id.example.test/";
/// Distinct tokens per algorithm for the first-request figure (each is verified once).
const FRESH_TOKENS: usize = 2_000;
/// Verifications of one token for the repeated-request figure.
const REPEATS: u32 = 200_000;

fn main() {
    let json_out = std::env::args().skip_while(|a| a != "--json").nth(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("token-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut figures = Vec::new();
    println!(
        "{:<8} {:>22} {:>22}",
        "alg", "first request (us)", "same token again (us)"
    );
    for algorithm in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        let (encoding, jwk) = key(algorithm);
        let jwks = dir.join(format!("{algorithm:?}.json"));
        std::fs::write(&jwks, json!({ "keys": [jwk] }).to_string()).expect("write the JWKS");
        let verifier = TokenVerifier::new(ISSUER, "order", KeySource::File(jwks)).expect("a verifier");
        let tokens: Vec<String> = (0..FRESH_TOKENS).map(|i| sign(&encoding, algorithm, i)).collect();
        let (first, again) = runtime.block_on(async {
            verifier.refresh_keys().await.expect("the JWKS loads");
            let started = Instant::now();
            for token in &tokens {
                verifier.verify(token).await.expect("a valid token");
            }
            let first = started.elapsed() / FRESH_TOKENS as u32;
            let started = Instant::now();
            for _ in 0..REPEATS {
                verifier.verify(&tokens[0]).await.expect("a valid token");
            }
            (first, started.elapsed() / REPEATS)
        });
        println!(
            "{:<8} {:>22.2} {:>22.2}",
            format!("{algorithm:?}"),
            micros(first),
            micros(again)
        );
        figures.push(
            json!({"algorithm": format!("{algorithm:?}"), "first_us": micros(first), "cached_us": micros(again)}),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(path) = json_out {
        std::fs::write(&path, serde_json::to_string_pretty(&figures).expect("JSON")).expect("write the figures");
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn sign(key: &EncodingKey, algorithm: Algorithm, i: usize) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some("bench".to_owned());
    let now = get_current_timestamp();
    let claims = json!({
        "iss": ISSUER, "aud": ["order", "voucher"], "sub": format!("customer-{i}"),
        "client_id": "checkout-web", "exp": now + 3600, "iat": now, "nbf": now,
        "jti": format!("bench-{i}"), "scope": "orders:write orders:read vouchers:read",
    });
    jsonwebtoken::encode(&header, &claims, key).expect("signing works")
}

/// A private key for `algorithm` and its public JWK with `kid` "bench".
fn key(algorithm: Algorithm) -> (EncodingKey, serde_json::Value) {
    let encoding = match algorithm {
        Algorithm::EdDSA => {
            let key = DevSigningKey::generate().expect("an Ed25519 key");
            EncodingKey::from_ed_pem(key.pem().as_bytes())
        }
        Algorithm::ES256 => {
            EncodingKey::from_ec_pem(&openssl(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]))
        }
        _ => EncodingKey::from_rsa_pem(&openssl(&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])),
    }
    .expect("a key jsonwebtoken reads");
    let mut jwk = Jwk::from_encoding_key(&encoding, algorithm).expect("the public part of the key");
    jwk.common.key_id = Some("bench".to_owned());
    (encoding, serde_json::to_value(jwk).expect("a JWK serializes"))
}

fn openssl(options: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .arg("genpkey")
        .args(options)
        .stderr(Stdio::piped())
        .output()
        .expect("`openssl` generates the RSA and EC keys: install it");
    assert!(
        output.status.success(),
        "openssl genpkey: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
