//! Real PostgreSQL and Redis servers for integration tests.
//!
//! When `DATABASE_URL` (a superuser URL of the server, with its TLS parameters; each test
//! gets its own database and roles on it) and `TEST_REDIS_DIR` (with `TEST_REDIS_PORT` and
//! `TEST_REDIS_TLS_PORT`: a Redis that `scripts/throwaway` or `start_redis` of
//! `scripts/lib.sh` started for [`TEST_CHANNELS`]) are set, those servers are used.
//! Otherwise this process starts its own with `scripts/throwaway`, each in a temporary
//! directory on a free 127.0.0.1 port, PostgreSQL with TLS on. A watchdog shell stops them
//! and removes their directories when the test process exits.
//!
//! Redis has the users of `scripts/redis-acl`: `order` and `voucher` with only their
//! services' rights on the channels of [`unique_name`]`("order.sent")`, `admin` with every
//! right (for tests that arrange or inspect), and no default user.

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
};

/// URLs of the servers the tests run against.
#[derive(Debug, Clone)]
pub struct Servers {
    /// Superuser URL of the PostgreSQL server's `postgres` database, with its TLS parameters
    /// (`sslmode=verify-full&sslrootcert=...` to `localhost` for the servers the scripts
    /// start); tests create their own databases and roles with it.
    pub postgres_url: String,
    pub redis: RedisServer,
}

/// The channels (and stream keys) the test Redis grants the services: those of
/// [`unique_name`]`("order.sent")`, exactly (so `<channel>.dead` and `<channel>.ack` are not
/// among them).
pub const TEST_CHANNELS: &str = "order.sent.????????????????????????????????";

/// The voucher streams the test Redis grants the services: those of
/// [`unique_name`]`("voucher.issued")`.
pub const TEST_VOUCHER_STREAMS: &str = "voucher.issued.????????????????????????????????";

/// The test Redis: TLS on `tls_port` with a certificate for `localhost` only, plain RESP on
/// `port`, the users of `scripts/redis-acl` with their passwords in `dir/acl/`.
#[derive(Debug, Clone)]
pub struct RedisServer {
    pub port: u16,
    pub tls_port: u16,
    pub dir: PathBuf,
}

impl RedisServer {
    /// The password of `user` (`order`, `voucher` or `admin`).
    pub fn password(&self, user: &str) -> String {
        let path = self.dir.join("acl").join(format!("{user}.password"));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            .trim()
            .to_owned()
    }

    /// `redis://user:password@127.0.0.1:port`: plain RESP as `user`.
    pub fn url(&self, user: &str) -> String {
        format!("redis://{user}:{}@127.0.0.1:{}", self.password(user), self.port)
    }

    /// `rediss://user:password@host:tls_port`: TLS as `user`; only `localhost` matches the
    /// server's certificate.
    pub fn tls_url(&self, user: &str, host: &str) -> String {
        format!("rediss://{user}:{}@{host}:{}", self.password(user), self.tls_port)
    }

    /// The CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("tls").join("ca.crt")
    }

    /// A connection as `admin`, for arranging and inspecting what the services do.
    pub async fn admin(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url("admin"))
            .expect("the admin URL parses")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test Redis as admin")
    }
}

/// The servers for this test process, started on first use.
pub fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let postgres_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => start_postgres(),
        };
        let redis = match std::env::var("TEST_REDIS_DIR") {
            Ok(dir) if !dir.is_empty() => RedisServer {
                port: port_from_env("TEST_REDIS_PORT"),
                tls_port: port_from_env("TEST_REDIS_TLS_PORT"),
                dir: dir.into(),
            },
            _ => start_redis(),
        };
        Servers { postgres_url, redis }
    })
}

/// A test's own database and the two roles of a service's database (see
/// `scripts/service-database.sql`), with passwords of their own.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub name: String,
    /// As the runtime role `<name>_app`, which may only read and write rows: what `serve` gets.
    pub url: String,
    /// As the migration role `<name>_owner`, which owns the schema: what `migrate` gets.
    pub migration_url: String,
}

impl TestDatabase {
    /// The runtime role's URL with `edit` applied (another host, other TLS parameters).
    pub fn url_with(&self, edit: impl FnOnce(&mut url::Url)) -> String {
        let mut url = url::Url::parse(&self.url).expect("the test database URL parses");
        edit(&mut url);
        url.into()
    }
}

/// Creates an empty database with a unique name, its owner role and its runtime role, the
/// way `scripts/up` and the compose file create the services' databases. Roles are
/// cluster-wide, so they are named after the database: tests never share or race for them.
pub async fn fresh_database() -> TestDatabase {
    let servers = servers();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let (owner, app) = (format!("{name}_owner"), format!("{name}_app"));
    let (owner_password, app_password) = (
        uuid::Uuid::new_v4().simple().to_string(),
        uuid::Uuid::new_v4().simple().to_string(),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/service-database");
    let output = tokio::process::Command::new(&script)
        .args([servers.postgres_url.as_str(), &name, &owner, &app])
        .env("OWNER_PASSWORD", &owner_password)
        .env("APP_PASSWORD", &app_password)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "create the test database {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let url_for = |role: &str, password: &str| {
        let mut url = url::Url::parse(&servers.postgres_url).expect("DATABASE_URL is a URL");
        url.set_username(role)
            .and_then(|()| url.set_password(Some(password)))
            .expect("a URL with a host");
        url.set_path(&name);
        String::from(url)
    };
    TestDatabase {
        url: url_for(&app, &app_password),
        migration_url: url_for(&owner, &owner_password),
        name,
    }
}

/// A Redis channel or key prefix no other test uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}.{}", uuid::Uuid::new_v4().simple())
}

/// The voucher stream that goes with a test's channel: `order.sent.<id>` gives
/// `voucher.issued.<id>` (among [`TEST_VOUCHER_STREAMS`]), so that every service of one test
/// (replicas, or both services together) agrees on it without being told.
pub fn voucher_stream_of(channel: &str) -> String {
    match channel.strip_prefix("order.sent.") {
        Some(id) => format!("voucher.issued.{id}"),
        None => unique_name("voucher.issued"),
    }
}

/// Picks a port that is free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn port_from_env(key: &str) -> u16 {
    std::env::var(key)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("TEST_REDIS_DIR is set, so {key} must be a port"))
}

/// Throwaway settings: durability is of no use to a test database.
const POSTGRES_SETTINGS: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
];

/// Starts a throwaway server (TLS on, see `scripts/lib.sh` `start_postgres`) and returns its
/// superuser URL, verifying the server's certificate for `localhost`.
fn start_postgres() -> String {
    let (port, dir) = start_throwaway("postgres", POSTGRES_SETTINGS);
    let ca = dir.join("certs/ca.crt");
    format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
        ca.display()
    )
}

fn start_redis() -> RedisServer {
    let tls_port = free_port().to_string();
    let (port, dir) = start_throwaway("redis", &[&tls_port, TEST_CHANNELS, "--save", "", "--appendonly", "no"]);
    RedisServer {
        port,
        tls_port: tls_port.parse().expect("a port"),
        dir,
    }
}

fn throwaway_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/throwaway")
}

/// Starts a `server` ("postgres" or "redis") with `scripts/throwaway` in a new temporary
/// directory on a free port, and returns the port and the directory once it accepts
/// connections.
fn start_throwaway(server: &str, options: &[&str]) -> (u16, PathBuf) {
    let script = throwaway_script();
    let dir = std::env::temp_dir().join(format!("checkout-{server}-{}", uuid::Uuid::new_v4().simple()));
    let port = free_port();
    let output = Command::new(&script)
        .args([server, "start"])
        .arg(&dir)
        .arg(port.to_string())
        .args(options)
        .env("VOUCHER_STREAM_PATTERN", TEST_VOUCHER_STREAMS)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    if !output.status.success() {
        stop_throwaway(&script, server, &dir);
        panic!(
            "{} {server} start failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    watch(&script, server, &dir);
    (port, dir)
}

fn stop_throwaway(script: &Path, server: &str, dir: &Path) {
    let _ = Command::new(script)
        .args([server, "stop"])
        .arg(dir)
        .stdin(Stdio::null())
        .output();
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts a watchdog shell that, once this test process has exited, stops the `server` in
/// `dir` with `scripts/throwaway` and removes `dir`. It runs in its own process group, so
/// that a signal sent to the test's group does not take it down with the test.
fn watch(script: &Path, server: &str, dir: &Path) {
    const WATCHDOG: &str = r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
"$2" "$3" stop "$4"; rm -rf "$4""#;
    // The watchdog outlives this process on purpose, so it is never waited for.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", WATCHDOG, "watchdog"])
        .arg(std::process::id().to_string())
        .arg(script)
        .arg(server)
        .arg(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the test servers' watchdog");
}
