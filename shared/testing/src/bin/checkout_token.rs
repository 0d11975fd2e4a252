//! Access tokens for local development: `keygen DIR` creates an Ed25519 signing key and the
//! JWKS holding its public key (an existing key is kept), `mint` prints a JWT access token
//! (RFC 9068) signed with it, for the services configured with that JWKS.
#![forbid(unsafe_code)]

use std::{
    fs,
    io::{self, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use checkout_auth::Scope;
use checkout_testing::{AccessToken, DevSigningKey};
use clap::{Args, Parser, Subcommand, builder::NonEmptyStringValueParser};
use jsonwebtoken::jwk::{Jwk, JwkSet};

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
    /// A service's own token (client credentials): `client_id` is SUBJECT too, so the
    /// services treat it as a client, not as a customer. Without it the token is a
    /// customer's, issued to the `checkout-web` front end.
    #[arg(long)]
    client: bool,
    /// The token's `sub`: who the caller is (a customer id, or with --client a client id).
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
    let key = match fs::read(&key_path) {
        Ok(pem) => DevSigningKey::from_pem(&pem).with_context(|| format!("cannot use {}", key_path.display()))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_key(&key_path)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", key_path.display())),
    };
    let mut jwks = serde_json::to_vec_pretty(&key.jwks())?;
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
fn create_key(path: &Path) -> anyhow::Result<DevSigningKey> {
    let key = DevSigningKey::generate()?;
    let temporary = path.with_extension(format!("pem.{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(key.pem().as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| fs::hard_link(&temporary, path));
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            eprintln!("created the signing key {}", path.display());
            Ok(key)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.exists() => {
            let pem = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(DevSigningKey::from_pem(&pem)?)
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn mint(args: MintArgs) -> anyhow::Result<String> {
    let pem = fs::read(&args.key).with_context(|| format!("cannot read the signing key {}", args.key.display()))?;
    let key = DevSigningKey::from_pem(&pem).with_context(|| format!("cannot use {}", args.key.display()))?;
    let kid = kid_in_jwks(&args.jwks, key.jwk())?;
    let audiences = if args.audiences.is_empty() {
        vec![
            env_or("ORDER_AUTH_AUDIENCE", "order"),
            env_or("VOUCHER_AUTH_AUDIENCE", "voucher"),
        ]
    } else {
        args.audiences
    };
    let token = if args.client {
        AccessToken::client(&args.issuer, &audiences, &args.subject, &args.scopes)
    } else {
        AccessToken::customer(&args.issuer, &audiences, &args.subject, &args.scopes)
    };
    Ok(key.sign_with_kid(
        &AccessToken {
            ttl: Duration::from_secs(args.ttl_secs),
            ..token
        },
        Some(kid),
    ))
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
