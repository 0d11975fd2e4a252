//! Test harness: real PostgreSQL and Redis for integration tests.
//!
//! When `DATABASE_URL` (a server URL; each test gets its own database on it) and `REDIS_URL`
//! are set, those servers are used. Otherwise this process starts its own: `initdb` into a
//! temporary directory and `redis-server`, each on a free 127.0.0.1 port. A watchdog shell
//! stops them and removes their files when the test process exits.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database};

/// URLs of the servers the tests run against.
#[derive(Debug, Clone)]
pub struct Servers {
    /// PostgreSQL URL without a database name; tests create their own databases.
    pub postgres_url: String,
    pub redis_url: String,
}

/// The servers for this test process, started on first use.
pub fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let postgres_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => strip_database(&url),
            _ => start_postgres(),
        };
        let redis_url = match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => start_redis(),
        };
        Servers {
            postgres_url,
            redis_url,
        }
    })
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_database() -> String {
    let servers = servers();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin_url = format!("{}/postgres", servers.postgres_url);
    let deadline = Instant::now() + Duration::from_secs(20);
    // A server that just opened its port may still refuse connections while it starts up.
    let admin = loop {
        match Database::connect(&admin_url).await {
            Ok(db) => break db,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("connect to the test PostgreSQL server: {e}"),
        }
    };
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    format!("{}/{name}", servers.postgres_url)
}

/// A Redis channel or key prefix no other test uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}.{}", uuid::Uuid::new_v4().simple())
}

/// Picks a port that is free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn strip_database(url: &str) -> String {
    // postgres://user:pass@host:port/db?params -> postgres://user:pass@host:port
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[scheme_end..].find('/') {
        Some(slash) => url[..scheme_end + slash].to_owned(),
        None => url.to_owned(),
    }
}

fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return dir.into();
    }
    for version in ["17", "16", "15"] {
        let dir = PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"));
        if dir.join("postgres").exists() {
            return dir;
        }
    }
    panic!("no PostgreSQL server binaries found; set PG_BIN or DATABASE_URL")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn start_postgres() -> String {
    let bin = postgres_bin_dir();
    let dir = std::env::temp_dir().join(format!("checkout-pg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create PostgreSQL data directory");
    if is_root() {
        run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir));
    }
    let data = dir.join("data");
    run(as_postgres_user(&bin.join("initdb"))
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"])
        .arg(&data));
    let port = free_port();
    let server = format!(
        "{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
        bin.join("postgres").display(),
        data.display(),
        dir.display(),
    );
    let launcher = if is_root() {
        format!("setpriv --reuid=postgres --regid=postgres --init-groups {server}")
    } else {
        server
    };
    watch(&launcher, "QUIT", &dir);
    wait_for_port(port, "PostgreSQL");
    format!("postgres://postgres@127.0.0.1:{port}")
}

fn start_redis() -> String {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("checkout-redis-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create Redis directory");
    let server = format!(
        "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --dir {}",
        dir.display()
    );
    watch(&server, "TERM", &dir);
    wait_for_port(port, "Redis");
    format!("redis://127.0.0.1:{port}")
}

/// Runs `server` in the background under a shell that stops it with `signal` and removes
/// `dir` once this test process has exited.
fn watch(server: &str, signal: &str, dir: &Path) {
    let script = format!(
        "{server} >{log} 2>&1 & child=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; \
         kill -{signal} $child 2>/dev/null; wait $child; rm -rf {dir}",
        log = dir.join("server.log").display(),
        parent = std::process::id(),
        dir = dir.display(),
    );
    // The watchdog outlives this process on purpose, so it is never waited for.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a test server");
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not start listening on 127.0.0.1:{port} within 30 s");
}

fn run(cmd: &mut Command) {
    let output = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
