//! Keys generated at test time (with `openssl`), tokens signed with them, and a JWKS served
//! over real HTTP ([`JwksServer`]).

use std::process::{Command, Stdio};

use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp, jwk::Jwk};
use serde_json::{Value, json};

pub use crate::JwksServer;

pub const ISSUER: &str = "https://id.example.test/";
pub const AUDIENCE: &str = "order";

/// A private signing key and its public JWK.
pub struct TestKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    pub public_pem: Vec<u8>,
}

impl TestKey {
    /// A fresh key pair for `algorithm` (RS256, ES256 or EdDSA).
    pub fn generate(algorithm: Algorithm, kid: &str) -> Self {
        let options: &[&str] = match algorithm {
            Algorithm::RS256 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Algorithm::ES256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Algorithm::EdDSA => &["-algorithm", "ED25519"],
            other => panic!("no test keys for {other:?}"),
        };
        let private_pem = openssl(&[&["genpkey"], options].concat(), &[]);
        let public_pem = openssl(&["pkey", "-pubout"], &private_pem);
        let encoding = match algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&private_pem),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&private_pem),
            _ => EncodingKey::from_ed_pem(&private_pem),
        }
        .expect("openssl writes a key jsonwebtoken reads");
        Self {
            kid: kid.to_owned(),
            algorithm,
            encoding,
            public_pem,
        }
    }

    /// The public key as a JWKS entry, with `kid`, `use` and `alg`.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.algorithm).expect("public part of the key");
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        serde_json::to_value(jwk).expect("a JWK serializes")
    }

    /// `claims` signed with this key, its `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing works")
    }
}

fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the auth tests generate keys with `openssl`: install it");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin)
        .expect("write to openssl");
    let output = child.wait_with_output().expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A JWKS document of the public keys.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// The claims of a valid token: 5 minutes left, two known scopes and one unknown.
pub fn claims() -> Value {
    let now = get_current_timestamp();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "customer-42",
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": "token-1",
        "scope": "orders:read orders:write openid",
    })
}

/// `claims()` with `changes` applied; a `null` removes the claim.
pub fn claims_with(changes: Value) -> Value {
    let mut claims = claims();
    let object = claims.as_object_mut().expect("claims are an object");
    for (name, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.clone(), value.clone());
        }
    }
    claims
}
