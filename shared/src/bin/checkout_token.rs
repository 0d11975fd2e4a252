//! Access tokens for local development: `keygen DIR` creates an Ed25519 signing key and the
//! JWKS holding its public key (an existing key is kept), `mint` prints a JWT access token
//! (RFC 9068) signed with it, for the services configured with that JWKS.
#![forbid(unsafe_code)]

use std::{
    fs,
    io::{self, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
};

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand, builder::NonEmptyStringValueParser};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, KeypairBytes, spki::der::pem::LineEnding},
};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header, get_current_timestamp,
    jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash},
};
use serde_json::json;
use shared::auth::Scope;

const KEY_FILE: &str = "signing-key.pem";
const JWKS_FILE: &str = "jwks.json";

#[derive(Parser)]
#[command(
    version,
    about = "Development signing keys and access tokens for the checkout services."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create DIR/signing-key.pem (Ed25519, PKCS#8 PEM, mode 0600) unless it exists, and
    /// DIR/jwks.json with its public key.
    Keygen { dir: PathBuf },
    /// Print an access token for SUBJECT granting the SCOPEs.
    Mint(MintArgs),
}

#[derive(Args)]
struct MintArgs {
    /// The signing key written by `keygen`.
    #[arg(long, default_value = ".run/auth/signing-key.pem")]
    key: PathBuf,
    /// The JWKS written by `keygen`; the token's `kid` is its entry for the key.
    #[arg(long, default_value = ".run/auth/jwks.json")]
    jwks: PathBuf,
    /// The token's `iss`.
    #[arg(long, env = "AUTH_ISSUER", default_value = "http://127.0.0.1/checkout-dev",
          value_parser = NonEmptyStringValueParser::new())]
    issuer: String,
    /// An audience of the token (repeatable). Default: ORDER_AUTH_AUDIENCE and
    /// VOUCHER_AUTH_AUDIENCE, or `order` and `voucher`.
    #[arg(long = "audience", value_parser = NonEmptyStringValueParser::new())]
    audiences: Vec<String>,
    /// Seconds until the token expires.
    #[arg(long, default_value_t = 3600)]
    ttl_secs: u64,
    /// The token's `sub`: who the caller is.
    #[arg(value_parser = NonEmptyStringValueParser::new())]
    subject: String,
    /// Scopes the token grants (`orders:read`, ...).
    #[arg(value_name = "SCOPE", value_parser = parse_scope)]
    scopes: Vec<Scope>,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Keygen { dir } => keygen(&dir),
        Command::Mint(args) => {
            println!("{}", mint(args)?);
            Ok(())
        }
    }
}

fn parse_scope(name: &str) -> Result<Scope, String> {
    name.parse().map_err(|_| {
        format!(
            "unknown scope; the scopes are {}",
            Scope::ALL.map(Scope::as_str).join(", ")
        )
    })
}

fn keygen(dir: &Path) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let key_path = dir.join(KEY_FILE);
    let pem = match fs::read(&key_path) {
        Ok(pem) => pem,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_key(&key_path)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", key_path.display())),
    };
    let jwk = public_jwk(&pem).with_context(|| format!("{} is not an Ed25519 key", key_path.display()))?;
    let mut jwks = serde_json::to_vec_pretty(&JwkSet { keys: vec![jwk] })?;
    jwks.push(b'\n');
    // The JWKS follows from the key: rewritten only if it does not match it.
    let jwks_path = dir.join(JWKS_FILE);
    if fs::read(&jwks_path).ok().as_deref() != Some(jwks.as_slice()) {
        let temporary = dir.join(format!(".{JWKS_FILE}.{}", std::process::id()));
        fs::write(&temporary, &jwks)
            .and_then(|()| fs::rename(&temporary, &jwks_path))
            .with_context(|| format!("cannot write {}", jwks_path.display()))?;
        eprintln!("wrote {}", jwks_path.display());
    }
    Ok(())
}

/// Writes a new key to `path` unless one appeared meanwhile, and returns the key there. The
/// key is written to a temporary file, then linked: `path` never holds a partial key.
fn create_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    // PKCS#8 v1 (no public key), as `openssl genpkey` writes: jsonwebtoken reads no other.
    let secret_key = SigningKey::from_bytes(&seed).to_bytes();
    let pem = KeypairBytes {
        secret_key,
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)?;
    let temporary = path.with_extension(format!("pem.{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(pem.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| fs::hard_link(&temporary, path));
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            eprintln!("created the signing key {}", path.display());
            Ok(pem.as_bytes().to_vec())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.exists() => {
            fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// The public key of the Ed25519 key `pem` as a JWKS entry, its `kid` the RFC 7638
/// thumbprint.
fn public_jwk(pem: &[u8]) -> anyhow::Result<Jwk> {
    let key = EncodingKey::from_ed_pem(pem)?;
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA)?;
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_id = Some(jwk.thumbprint(ThumbprintHash::SHA256)?);
    Ok(jwk)
}

fn mint(args: MintArgs) -> anyhow::Result<String> {
    let pem = fs::read(&args.key).with_context(|| format!("cannot read the signing key {}", args.key.display()))?;
    let encoding =
        EncodingKey::from_ed_pem(&pem).with_context(|| format!("{} is not an Ed25519 key", args.key.display()))?;
    let kid = kid_in_jwks(&args.jwks, &public_jwk(&pem)?)?;
    let audiences = if args.audiences.is_empty() {
        vec![
            env_or("ORDER_AUTH_AUDIENCE", "order"),
            env_or("VOUCHER_AUTH_AUDIENCE", "voucher"),
        ]
    } else {
        args.audiences
    };
    let now = get_current_timestamp();
    let mut claims = json!({
        "iss": args.issuer,
        "sub": args.subject,
        "aud": audiences,
        "exp": now.saturating_add(args.ttl_secs),
        "iat": now,
        "nbf": now,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if !args.scopes.is_empty() {
        let scopes: Vec<_> = args.scopes.iter().map(|s| s.as_str()).collect();
        claims["scope"] = scopes.join(" ").into();
    }
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(kid);
    Ok(jsonwebtoken::encode(&header, &claims, &encoding)?)
}

/// The `kid` of the JWKS entry holding the public key `jwk`: a token signed with a key the
/// JWKS does not hold would be refused by every service.
fn kid_in_jwks(path: &Path, jwk: &Jwk) -> anyhow::Result<String> {
    let document = fs::read(path).with_context(|| format!("cannot read the JWKS {}", path.display()))?;
    let set: JwkSet = serde_json::from_slice(&document).with_context(|| format!("{} is not a JWKS", path.display()))?;
    set.keys
        .iter()
        .find(|k| k.algorithm == jwk.algorithm)
        .and_then(|k| k.common.key_id.clone())
        .filter(|kid| !kid.is_empty())
        .with_context(|| {
            format!(
                "{} holds no entry (with a kid) for the public key of the signing key; \
                 run `checkout-token keygen`",
                path.display()
            )
        })
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}
