# Helpers shared by the scripts: install and start PostgreSQL and Redis on 127.0.0.1.
# Source this file; it defines functions and changes nothing by itself.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root (or sudo) to run: $*"
    fi
}

apt_install() {
    log "installing $* with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Prints the directory holding the PostgreSQL server binaries, newest version first.
find_pg_bin() {
    if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/postgres" ]; then echo "$PG_BIN"; return 0; fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

ensure_tools() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v curl >/dev/null || missing+=(curl)
    find_pg_bin >/dev/null || missing+=(postgresql)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
    PG_BIN=$(find_pg_bin) || die "PostgreSQL server binaries not found after installing"
    export PG_BIN
}

# PostgreSQL refuses to run as root; as root, run it as the `postgres` user.
pg_run() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
        setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    else
        "$@"
    fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_postgres DIR PORT: initializes DIR on first use and starts a server on 127.0.0.1:PORT
# that trusts local connections (development and tests only).
start_postgres() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && { pg_run true; chown -R postgres:postgres "$dir"; }
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_run "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    fi
    port_in_use "$port" && die "port $port is already in use; set another with PG_PORT"
    pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${PG_EXTRA_OPTS:-}" start >/dev/null \
        || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
}

stop_postgres() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] && pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_redis DIR PORT: a Redis on 127.0.0.1:PORT with append-only persistence in DIR.
start_redis() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    port_in_use "$port" && die "port $port is already in use; set another with REDIS_PORT"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" ${REDIS_EXTRA_OPTS:-} >/dev/null
    for _ in $(seq 100); do port_in_use "$port" && return 0; sleep 0.1; done
    die "Redis did not start; see $dir/redis.log"
}

stop_redis() {
    local dir=$1
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
}

# wait_ready URL SECONDS
wait_ready() {
    local url=$1 seconds=$2
    for _ in $(seq $((seconds * 10))); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
