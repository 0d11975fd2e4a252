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
    local dir
    if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/postgres" ]; then echo "$PG_BIN"; return 0; fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

ensure_tools() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    # The replicas system tests balance over the services with HAProxy (in /usr/sbin).
    command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
    command -v curl >/dev/null || missing+=(curl)
    # The auth unit tests generate their keys with openssl.
    command -v openssl >/dev/null || missing+=(openssl)
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

# Prints cargo's target directory (CARGO_TARGET_DIR or the workspace's).
cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# sh_quote ARG: ARG quoted for /bin/sh (pg_ctl -o hands its options to a shell).
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# pid_alive PID: the process exists and is not a zombie (PID 1 here may never reap one).
pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# The client authentication of start_postgres: the superuser `postgres` is trusted on the
# socket and on loopback (development and tests only); every other role must come over TLS
# and give its password.
PG_HBA='# Written by scripts/lib.sh (start_postgres) at every start.
local     all  postgres                trust
host      all  postgres  127.0.0.1/32  trust
host      all  postgres  ::1/128       trust
hostnossl all  all       0.0.0.0/0     reject
hostnossl all  all       ::/0          reject
hostssl   all  all       127.0.0.1/32  scram-sha-256
hostssl   all  all       ::1/128       scram-sha-256
'

# start_postgres DIR PORT [NAME=VALUE...]: initializes DIR on first use and starts a server
# on 127.0.0.1:PORT with TLS on (a certificate for `localhost` by scripts/certs in DIR/certs;
# clients verify it with DIR/certs/ca.crt) and the client authentication of PG_HBA. Each
# NAME=VALUE is a server setting (`postgres -c NAME=VALUE`). Returns once it accepts
# connections; DIR and PORT can be started again after stop_postgres, with the same TLS.
start_postgres() {
    local dir=$1 port=$2 bin opts setting
    shift 2
    bin=$(find_pg_bin) || die "PostgreSQL server binaries not found (run ensure_tools)"
    mkdir -p "$dir"
    "$(dirname "${BASH_SOURCE[0]}")/certs" "$dir/certs" localhost
    # The server reads its key as `postgres`, and only from a file nobody else can read.
    [ "$(id -u)" = 0 ] && { pg_run true; chown -R postgres:postgres "$dir"; }
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_run "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    fi
    printf '%s' "$PG_HBA" | pg_run tee "$dir/data/pg_hba.conf" >/dev/null
    port_in_use "$port" && die "port $port is already in use"
    opts="-p $port -k $(sh_quote "$dir") -c listen_addresses=127.0.0.1 -c ssl=on"
    opts+=" -c $(sh_quote "ssl_cert_file=$dir/certs/server.crt") -c $(sh_quote "ssl_key_file=$dir/certs/server.key")"
    for setting in "$@"; do opts+=" -c $(sh_quote "$setting")"; done
    pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start >/dev/null \
        || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
}

# stop_postgres DIR: a fast shutdown; returns once the server has exited.
stop_postgres() {
    local dir=$1 bin
    [ -f "$dir/data/postmaster.pid" ] || return 0
    bin=$(find_pg_bin) || return 0
    pg_run "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# start_redis DIR PORT TLS_PORT CHANNEL [OPTION...]: a Redis on 127.0.0.1 with its files in
# DIR and its pid in DIR/redis.pid. It speaks TLS on TLS_PORT with a certificate for
# `localhost` (DIR/tls/, by scripts/certs: clients verify it against DIR/tls/ca.crt) and
# plain RESP on PORT (0: TLS only). Its users are those of scripts/redis-acl for the event
# CHANNEL (a glob; passwords in DIR/acl/); the default user is disabled. Each OPTION is one
# redis-server argument, so `--save ""` works; later options override earlier ones. Returns
# once TLS_PORT accepts connections; DIR can be started again, with the same passwords.
start_redis() {
    local dir=$1 port=$2 tls_port=$3 channel=$4 scripts p
    shift 4
    scripts=$(dirname "${BASH_SOURCE[0]}")
    mkdir -p "$dir"
    for p in "$port" "$tls_port"; do
        [ "$p" != 0 ] && port_in_use "$p" && die "port $p is already in use"
    done
    "$scripts/certs" "$dir/tls"
    "$scripts/redis-acl" "$dir/acl" "$channel"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
        --tls-port "$tls_port" --tls-cert-file "$dir/tls/server.crt" \
        --tls-key-file "$dir/tls/server.key" --tls-ca-cert-file "$dir/tls/ca.crt" \
        --tls-auth-clients no --aclfile "$dir/acl/users.acl" "$@" >/dev/null \
        || die "Redis did not start; see $dir/redis.log"
    for _ in $(seq 100); do port_in_use "$tls_port" && return 0; sleep 0.1; done
    die "Redis did not start; see $dir/redis.log"
}

# redis_escape NAME: NAME as a Redis glob matching exactly NAME (for CHANNEL of start_redis).
redis_escape() { printf '%s' "$1" | sed 's/[][*?\\]/\\&/g'; }

# stop_redis DIR: SIGTERM (SIGKILL after 30 s); returns once the process has exited, so the
# same port and data can be started again right away.
stop_redis() {
    local dir=$1 pid
    [ -f "$dir/redis.pid" ] || return 0
    pid=$(cat "$dir/redis.pid")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = redis-server ]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 300); do pid_alive "$pid" || break; sleep 0.1; done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        while pid_alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$dir/redis.pid"
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
