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
# CHANNEL and the voucher stream $VOUCHER_STREAM_PATTERN (globs; default voucher.issued;
# passwords in DIR/acl/); the default user is disabled. Each OPTION is one
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
    "$scripts/redis-acl" "$dir/acl" "$channel" "${VOUCHER_STREAM_PATTERN:-voucher.issued}"
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

# A Redis Cluster on 127.0.0.1 for tests: start_redis_cluster DIR BASE_PORT CHANNEL [OPTION...]
# runs six nodes, three primaries with a replica each, on the TLS ports BASE_PORT..BASE_PORT+5
# (cluster bus on PORT+10000, TLS as well; no plain port). Node PORT keeps its files in
# DIR/node-PORT (nodes.conf, the append-only file, redis.log, redis.pid); all nodes share the
# certificate for `localhost` in DIR/tls (clients verify it against DIR/tls/ca.crt) and the
# users of scripts/redis-acl for CHANNEL (passwords in DIR/acl). Nodes announce themselves as
# `localhost` (CLUSTER SLOTS, MOVED), so clients that verify the host name accept them.
# Replicas authenticate to their primary as `admin` (which needs every right). A primary that
# does not answer for 1 s (cluster-node-timeout 1000) is replaced by its replica, so tests
# see a failover within a few seconds. Each OPTION is one redis-server argument for every
# node (`--cluster-node-timeout 5000`, `--appendonly no`), kept in DIR for
# redis_cluster_start_node. The first start creates the cluster (redis-cli --cluster create);
# later ones start it again with its nodes' configuration and data. Returns once
# redis_cluster_wait does.
start_redis_cluster() {
    local dir=$1 base=$2 channel=$3 scripts port ports=() existing
    shift 3
    [[ $base =~ ^[0-9]+$ ]] && [ "$base" -ge 1 ] && [ "$base" -le 55530 ] \
        || die "BASE_PORT must be a number from 1 to 55530 (each node also uses PORT+10000)"
    for port in $(seq "$base" $((base + 5))); do ports+=("$port"); done
    mkdir -p "$dir"
    existing=$(redis_cluster_ports "$dir")
    if [ -n "$existing" ] && [ "$existing" != "$(printf '%s\n' "${ports[@]}")" ]; then
        die "$dir holds a Redis cluster on the ports $(echo $existing), not $base..$((base + 5))"
    fi
    for port in "${ports[@]}"; do
        port_in_use "$port" && die "port $port is already in use"
        port_in_use $((port + 10000)) && die "port $((port + 10000)) (cluster bus of $port) is already in use"
    done
    scripts=$(dirname "${BASH_SOURCE[0]}")
    "$scripts/certs" "$dir/tls"
    "$scripts/redis-acl" "$dir/acl" "$channel" "${VOUCHER_STREAM_PATTERN:-voucher.issued}"
    redis_cluster_config "$dir"
    : >"$dir/options"
    if [ $# -gt 0 ]; then printf '%s\0' "$@" >"$dir/options"; fi
    for port in "${ports[@]}"; do
        mkdir -p "$dir/node-$port"
        redis_cluster_start_node "$dir" "$port"
    done
    if [ ! -f "$dir/created" ]; then
        redis_cluster_cli "$dir" "$base" --cluster create "${ports[@]/#/127.0.0.1:}" \
            --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
            || { cat "$dir/create.log" >&2; die "redis-cli --cluster create failed"; }
        touch "$dir/created"
    fi
    redis_cluster_wait "$dir" 60
}

# conf_quote VALUE: VALUE as one argument of a redis.conf line.
conf_quote() {
    local value=${1//\\/\\\\}
    printf '"%s"' "${value//\"/\\\"}"
}

# redis_cluster_config DIR: writes DIR/cluster.conf, the settings every node shares (it holds
# the admin password for replication, so only its owner can read it).
redis_cluster_config() {
    local dir=$1
    (
        umask 077
        cat >"$dir/cluster.conf.tmp" <<CONF
# Written by scripts/lib.sh (start_redis_cluster) at every start.
bind 127.0.0.1
daemonize yes
port 0
tls-cert-file $(conf_quote "$dir/tls/server.crt")
tls-key-file $(conf_quote "$dir/tls/server.key")
tls-ca-cert-file $(conf_quote "$dir/tls/ca.crt")
tls-auth-clients no
tls-replication yes
tls-cluster yes
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 1000
cluster-announce-hostname localhost
cluster-preferred-endpoint-type hostname
appendonly yes
appendfsync always
aclfile $(conf_quote "$dir/acl/users.acl")
masteruser admin
masterauth $(conf_quote "$(cat "$dir/acl/admin.password")")
CONF
        mv "$dir/cluster.conf.tmp" "$dir/cluster.conf"
    )
}

# redis_cluster_ports DIR: the ports of the nodes of the cluster in DIR, one a line.
redis_cluster_ports() {
    local node
    for node in "$1"/node-*; do
        if [ -d "$node" ]; then echo "${node##*/node-}"; fi
    done | sort -n
}

# redis_cluster_cli DIR PORT ARG...: redis-cli as `admin`, over TLS, to node PORT.
redis_cluster_cli() {
    local dir=$1 port=$2
    shift 2
    REDISCLI_AUTH=$(cat "$dir/acl/admin.password") redis-cli --tls --cacert "$dir/tls/ca.crt" \
        -h 127.0.0.1 -p "$port" --user admin --no-auth-warning "$@"
}

# redis_cluster_start_node DIR PORT: starts node PORT of the cluster in DIR again (after
# redis_cluster_kill_node or stop_redis_cluster), with its configuration and the OPTIONs of
# start_redis_cluster. Returns once it accepts connections; it rejoins the cluster by itself
# (a former primary whose replica took over comes back as that replica's replica).
redis_cluster_start_node() {
    local dir=$1 port=$2 node options=()
    node=$dir/node-$port
    [ -d "$node" ] && [ -f "$dir/cluster.conf" ] || die "$dir holds no Redis cluster node $port"
    [ -f "$node/redis.pid" ] && pid_alive "$(cat "$node/redis.pid")" && die "node $port is running"
    [ -s "$dir/options" ] && mapfile -d '' -t options <"$dir/options"
    redis-server "$dir/cluster.conf" --tls-port "$port" --dir "$node" \
        --pidfile "$node/redis.pid" --logfile "$node/redis.log" "${options[@]}" >/dev/null \
        || die "Redis node $port did not start; see $node/redis.log"
    for _ in $(seq 100); do port_in_use "$port" && return 0; sleep 0.1; done
    die "Redis node $port did not start; see $node/redis.log"
}

# redis_cluster_kill_node DIR PORT: SIGKILL to node PORT (a crash: no shutdown, no last
# write); returns once the process has exited.
redis_cluster_kill_node() {
    local node=$1/node-$2 pid
    [ -f "$node/redis.pid" ] || die "node $2 is not running"
    pid=$(cat "$node/redis.pid")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = redis-server ]; then
        kill -KILL "$pid" 2>/dev/null || true
        while pid_alive "$pid"; do sleep 0.05; done
    fi
    rm -f "$node/redis.pid"
}

# redis_cluster_running DIR: the ports of the nodes whose process is alive, one a line.
redis_cluster_running() {
    local port pid
    for port in $(redis_cluster_ports "$1"); do
        pid=$(cat "$1/node-$port/redis.pid" 2>/dev/null) || continue
        if [ -n "$pid" ] && pid_alive "$pid"; then echo "$port"; fi
    done
}

# redis_cluster_primary DIR KEY: prints the port of the primary that serves KEY's slot, as
# the first running node sees it.
redis_cluster_primary() {
    local dir=$1 key=$2 port slot nodes
    port=$(redis_cluster_running "$dir")
    port=${port%%$'\n'*}
    [ -n "$port" ] || die "no node of the cluster in $dir is running"
    slot=$(redis_cluster_cli "$dir" "$port" CLUSTER KEYSLOT "$key") || die "CLUSTER KEYSLOT failed"
    nodes=$(redis_cluster_cli "$dir" "$port" CLUSTER NODES) || die "CLUSTER NODES failed"
    awk -v slot="$slot" '
        !found && $3 ~ /master/ && $3 !~ /fail/ {
            for (i = 9; i <= NF; i++) {
                n = split($i, range, "-"); if (n == 1) range[2] = range[1]
                if ($i !~ /^\[/ && slot + 0 >= range[1] + 0 && slot + 0 <= range[2] + 0) {
                    sub(/^[^:]*:/, "", $2); sub(/@.*/, "", $2); print $2; found = 1; break
                }
            }
        }
        END { exit !found }' <<<"$nodes" || die "no primary serves slot $slot of $key"
}

# redis_cluster_settled DIR: every running node says cluster_state:ok, sees no running node
# as failing, and names the same running, healthy primaries for the same slots; every running
# replica is in sync with its primary. Prints what is not settled yet otherwise.
redis_cluster_settled() {
    local dir=$1 running port nodes view first="" info
    running=$(redis_cluster_running "$dir" | tr '\n' ' ')
    [ -n "$running" ] || { echo "no node is running"; return 1; }
    for port in $running; do
        info=$(redis_cluster_cli "$dir" "$port" CLUSTER INFO 2>&1) || { echo "node $port: $info"; return 1; }
        [[ $info == *cluster_state:ok* ]] || { echo "node $port: cluster_state is not ok"; return 1; }
        nodes=$(redis_cluster_cli "$dir" "$port" CLUSTER NODES 2>&1) || { echo "node $port: $nodes"; return 1; }
        view=$(awk -v running=" $running" '
            {
                addr = $2; sub(/^[^:]*:/, "", addr); sub(/@.*/, "", addr)
                up = index(running, " " addr " ") > 0
                if (up && $3 ~ /fail/) { print "FAIL " addr " is running but flagged " $3; next }
                if ($3 ~ /master/ && NF >= 9) {
                    if (!up || $3 ~ /fail/) { print "FAIL slots on " addr " (not running or failing)"; next }
                    for (i = 9; i <= NF; i++) if ($i !~ /^\[/) print $i, addr
                }
            }' <<<"$nodes" | sort)
        if [[ $view == *FAIL* ]]; then echo "node $port: $(awk '/FAIL/ { print; exit }' <<<"$view")"; return 1; fi
        if [ -z "$first" ]; then first=$view
        elif [ "$view" != "$first" ]; then echo "node $port disagrees about the slots"; return 1; fi
        info=$(redis_cluster_cli "$dir" "$port" INFO replication 2>&1)
        if [[ $info == *role:slave* ]] && [[ $info != *master_link_status:up* ]]; then
            echo "node $port: replica not in sync with its primary"; return 1
        fi
    done
    [ "$(awk '{ n = split($1, r, "-"); s += (n == 1 ? 1 : r[2] - r[1] + 1) } END { print s }' <<<"$first")" = 16384 ] \
        || { echo "not all 16384 slots are served"; return 1; }
}

# redis_cluster_wait DIR [SECONDS]: waits (default 60 s) until redis_cluster_settled: after
# a start, or after a primary was killed (its replica has taken over) or a node came back.
redis_cluster_wait() {
    local dir=$1 seconds=${2:-60} deadline why
    deadline=$((SECONDS + seconds))
    until why=$(redis_cluster_settled "$dir"); do
        [ "$SECONDS" -lt "$deadline" ] || die "the Redis cluster in $dir is not settled after $seconds s: $why"
        sleep 0.2
    done
}

# stop_redis_cluster DIR: stop_redis for every node at once; returns once all have exited.
# The cluster can be started again with start_redis_cluster on the same DIR.
stop_redis_cluster() {
    local dir=$1 port pids=()
    for port in $(redis_cluster_ports "$dir"); do
        stop_redis "$dir/node-$port" &
        pids+=($!)
    done
    [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
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
