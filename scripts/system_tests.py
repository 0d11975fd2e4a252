#!/usr/bin/env python3
"""System tests: the real service binaries against real PostgreSQL and Redis servers.

The contract test runs Schemathesis (scripts/schemathesis) against both services' OpenAPI
documents: no 5xx, no undocumented status, no response that breaks its schema.

The generated_clients test generates a Python client from each document with
openapi-python-client (scripts/generated-clients) and runs the README walk-through through
them; a document the generator cannot digest fails it.

Every request carries an access token signed by a development key made for the run
(`checkout-token keygen`); the attack test replays, with nothing but HTTP, what an anonymous
or malicious caller would try, and shows each step refused.

The fault tests inject faults from outside (kill -9, Redis restarts, outages, duplicates,
poison).

Each scenario sends eligible orders, injects its fault, waits for the system to settle and
then counts from the databases themselves:

  attempted   orders that reached status `sent` (the order database is the truth)
  issued      vouchers in the voucher database
  lost        sent orders over 100.00 EUR without a voucher
  duplicated  vouchers beyond one per eligible sent order

and asserts lost = 0 and duplicated = 0.

The replicas scenarios (replicas_streams, replicas_pubsub) run 3 replicas of each service,
sharing one database per service and one Redis, behind an HAProxy of their own (the Debian
package `haproxy`; see HAProxy) that checks each replica's /ready and retries a request a
replica did not answer on another one. 5,000 eligible orders (SYSTEM_TEST_REPLICA_ORDERS) are
created, each with an Idempotency-Key, and sent through it, and vouchers are read through it,
while an order replica and a voucher replica are killed with -9 and restarted, one of each
every few seconds. Besides lost = 0 and duplicated = 0 they assert that every request
succeeded in the end (a client repeats a 5xx, no answer, or a creation whose key the killed
replica still holds), that exactly one order was stored per creation, that the failures the
client saw were proxy errors or no answer only, on no more requests than were in flight when
the replicas were killed (at most WORKERS per kill), and that every customer's listing
through the voucher load balancer shows the vouchers the database has.

Needs the debug binaries built (`cargo build --bins`). Every scenario creates its own
databases, each with its owner role (the services migrate as it) and its runtime role (they
serve as it), on the PostgreSQL server at DATABASE_URL (a superuser's URL, TLS parameters
included); without DATABASE_URL, the run starts a throwaway one of its own (TLS on). Every scenario starts its own Redis on a free 127.0.0.1 port, so it
can restart it: TLS only, the services as their own users (scripts/redis-acl), and at the
end of each scenario Redis's ACL LOG must be empty. Servers are started and stopped with scripts/throwaway; PG_BIN names the
PostgreSQL client binaries (psql).

Run from the repository root: python3 scripts/system_tests.py [scenario ...] (all by default;
--help lists them).
"""

import base64
import collections
import concurrent.futures
import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SERVICE_BIN_DIR", os.path.join(ROOT, "target", "debug"))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
THROWAWAY = os.path.join(ROOT, "scripts", "throwaway")
SERVICE_DATABASE = os.path.join(ROOT, "scripts", "service-database")
SERVER_URL = None  # a superuser's URL of the PostgreSQL server (TLS included); set by main()
WORKERS = 16
SETTLE_TIMEOUT = 60
AUTH_DIR = None  # the run's development signing key and JWKS; set by main()
EVENT_DIR = None  # the run's event signing key and the JWKS the voucher service trusts
VOUCHER_EVENT_DIR = None  # the voucher service's event key and the JWKS the order service trusts
AUTH_ISSUER = "http://127.0.0.1/checkout-dev"
ORDER_SCOPES = ("orders:write", "orders:read", "orders:status", "orders:admin", "catalog:write")
VOUCHER_SCOPES = ("vouchers:read", "vouchers:admin")
_tokens = {}


def log(msg):
    print(msg, flush=True)


def ephemeral_ports_start():
    """Where the kernel's range of ports for outgoing connections begins."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out = set()


def ports_free(ports):
    sockets = []
    try:
        for port in ports:
            sock = socket.socket()
            sockets.append(sock)
            sock.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()


def free_ports(count, stride=1, span=1):
    """A first port of `count` consecutive free ports (with `span` > 1, also the ports
    `stride` above them, span times), all below the kernel's ephemeral range: a port from
    that range could be taken by an outgoing connection of a process the scenario already
    started (a pool connecting to PostgreSQL) between this pick and the bind."""
    top = ephemeral_ports_start() - stride * (span - 1) - count
    while True:
        base = 10000 + secrets.randbelow(max(1, top - 10000))
        ports = [base + i + stride * j for j in range(span) for i in range(count)]
        if not _handed_out.intersection(ports) and ports_free(ports):
            _handed_out.update(ports)
            return base


def free_port():
    return free_ports(1)


def database_url(server_url, database, user=None, password=None):
    """SERVER_URL (a superuser's, TLS parameters included) for DATABASE, as USER if given."""
    url = urllib.parse.urlsplit(server_url)
    netloc = url.netloc
    if user:
        netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{netloc.rsplit('@', 1)[-1]}"
    return urllib.parse.urlunsplit((url.scheme, netloc, f"/{database}", url.query, ""))


def service_database(server_url, database):
    """Creates DATABASE with its owner and runtime roles (scripts/service-database); returns
    the URLs of (the superuser, the owner, the runtime role) for it."""
    owner, app = f"{database}_owner", f"{database}_app"
    owner_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
    subprocess.run([SERVICE_DATABASE, server_url, database, owner, app], check=True,
                   env={**os.environ, "OWNER_PASSWORD": owner_password, "APP_PASSWORD": app_password})
    return (database_url(server_url, database),
            database_url(server_url, database, owner, owner_password),
            database_url(server_url, database, app, app_password))


def psql(db_url, sql):
    out = subprocess.run([os.path.join(PG_BIN, "psql"), db_url, "-At", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def token(subject, *scopes, client=False):
    """An access token for SUBJECT granting SCOPES, signed with the run's key (`--client`:
    a service's own token rather than a customer's)."""
    key = (subject, scopes, client)
    if key not in _tokens:
        args = [os.path.join(BIN, "checkout-token"), "mint", "--issuer", AUTH_ISSUER,
                "--key", os.path.join(AUTH_DIR, "signing-key.pem"),
                "--jwks", os.path.join(AUTH_DIR, "jwks.json"),
                *(["--client"] if client else []), subject, *scopes]
        _tokens[key] = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
    return _tokens[key]


def operator():
    """The token of the load the scenarios drive: a service holding every scope."""
    return token("system-tests", *ORDER_SCOPES, *VOUCHER_SCOPES, client=True)


def request(method, url, body=None, timeout=10, bearer=None, headers=None):
    """(status, JSON body or None, headers); with the operator's token unless `bearer` is
    given ("" sends none). Status None: no answer."""
    data = json.dumps(body).encode() if body is not None else None
    bearer = operator() if bearer is None else bearer
    headers = {"content-type": "application/json", **(headers or {}),
               **({"authorization": f"Bearer {bearer}"} if bearer else {})}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            problem = json.loads(raw) if raw else None
        except ValueError:
            problem = None
        return e.code, problem, e.headers
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None, None


def http(method, url, body=None, timeout=10, bearer=None):
    status, answer, _ = request(method, url, body, timeout, bearer)
    return status, answer if status is not None and status < 400 else None


VOUCHER_STREAM = "voucher.issued"  # the services' VOUCHER_ISSUED_STREAM, which Redis grants


def throwaway(*args):
    """scripts/throwaway: starts or stops a server; returns once it is up or gone. A Redis
    grants the services VOUCHER_STREAM (whatever the caller's environment says)."""
    env = dict(os.environ, VOUCHER_STREAM_PATTERN=VOUCHER_STREAM)
    subprocess.run([THROWAWAY, *map(str, args)], check=True, stdout=subprocess.DEVNULL, env=env)


class Redis:
    """A redis-server of the scenario's own, restartable on the same port and data. As with
    scripts/up: TLS only, with a certificate for localhost, and the users of scripts/redis-acl
    (each service its own; the tests inspect as `admin`)."""

    def __init__(self, workdir, channel):
        self.port = free_port()
        self.channel = channel
        self.dir = os.path.join(workdir, "redis")
        self.start()

    def env(self, service):
        """The settings that connect `service` as its own user, verifying the certificate."""
        prefix = service.upper()
        return {f"{prefix}_REDIS_URL": f"rediss://{service}@localhost:{self.port}",
                f"{prefix}_REDIS_PASSWORD_FILE": os.path.join(self.dir, "acl", f"{service}.password"),
                "REDIS_CA_FILE": os.path.join(self.dir, "tls", "ca.crt")}

    def start(self):
        # Every write on disk before it is acknowledged, so a restart loses nothing. The same
        # directory keeps the passwords and certificates across restarts.
        throwaway("redis", "start", self.dir, 0, self.port, self.channel,
                  "--appendonly", "yes", "--appendfsync", "always", "--save", "")

    def stop(self):
        throwaway("redis", "stop", self.dir)

    def cli(self, *args):
        with open(os.path.join(self.dir, "acl", "admin.password")) as f:
            password = f.read().strip()
        return subprocess.run(["redis-cli", "--tls", "--cacert", os.path.join(self.dir, "tls", "ca.crt"),
                               "-h", "localhost", "-p", str(self.port), "--user", "admin", *args],
                              env={**os.environ, "REDISCLI_AUTH": password},
                              check=True, capture_output=True, text=True).stdout

    def assert_nothing_refused(self):
        """Redis refused the services nothing: their users have every right they use."""
        refused = self.cli("ACL", "LOG").strip()
        if refused:
            raise AssertionError(f"Redis refused a service command (ACL LOG):\n{refused}")


class RedisCluster:
    """A Redis Cluster of the scenario's own (scripts/throwaway redis-cluster: 3 primaries and
    3 replicas, TLS only, the users of scripts/redis-acl). The services get every node as a
    seed; a test kills the primary that holds a key and brings it back."""

    def __init__(self, workdir, channel):
        self.base = free_ports(6, stride=10000, span=2)  # each node's cluster bus: port + 10000
        self.ports = list(range(self.base, self.base + 6))
        self.channel = channel
        self.dir = os.path.join(workdir, "redis-cluster")
        throwaway("redis-cluster", "start", self.dir, self.base, self.channel)

    def env(self, service):
        prefix = service.upper()
        seeds = ",".join(f"rediss://{service}@localhost:{port}" for port in self.ports)
        return {f"{prefix}_REDIS_URL": seeds,
                f"{prefix}_REDIS_PASSWORD_FILE": os.path.join(self.dir, "acl", f"{service}.password"),
                "REDIS_CA_FILE": os.path.join(self.dir, "tls", "ca.crt")}

    def primary_of(self, key):
        return int(subprocess.run([THROWAWAY, "redis-cluster", "primary", self.dir, key], check=True,
                                  capture_output=True, text=True).stdout.strip())

    def kill(self, port):
        throwaway("redis-cluster", "kill", self.dir, port)

    def start_node(self, port):
        throwaway("redis-cluster", "start-node", self.dir, port)

    def wait(self, seconds=60):
        throwaway("redis-cluster", "wait", self.dir, seconds)

    def stop(self):
        throwaway("redis-cluster", "stop", self.dir)

    def cli(self, *args, port=None):
        with open(os.path.join(self.dir, "acl", "admin.password")) as f:
            password = f.read().strip()
        return subprocess.run(["redis-cli", "--tls", "--cacert", os.path.join(self.dir, "tls", "ca.crt"),
                               "-h", "localhost", "-p", str(port or self.ports[0]), "--user", "admin", "-c",
                               *args],
                              env={**os.environ, "REDISCLI_AUTH": password},
                              check=True, capture_output=True, text=True).stdout

    def assert_nothing_refused(self):
        """No node refused the services anything (ACL LOG of every running node)."""
        for port in self.ports:
            try:
                refused = self.cli("ACL", "LOG", port=port).strip()
            except subprocess.CalledProcessError:
                continue  # a node that is down has nothing to say
            if refused:
                raise AssertionError(f"Redis node {port} refused a service command (ACL LOG):\n{refused}")


class Postgres:
    """A PostgreSQL server of the scenario's own, so it can be stopped and started again."""

    def __init__(self, workdir, *settings):
        self.port = free_port()
        self.dir = os.path.join(workdir, "pg")
        self.settings = ("fsync=off", *settings)
        self.start()

    @property
    def url(self):
        ca = os.path.join(self.dir, "certs", "ca.crt")
        return f"postgres://postgres@localhost:{self.port}/postgres?sslmode=verify-full&sslrootcert={ca}"

    def start(self):
        throwaway("postgres", "start", self.dir, self.port, *self.settings)

    def stop(self):
        throwaway("postgres", "stop", self.dir)


class HAProxy:
    """An haproxy of the scenario's own on 127.0.0.1: one frontend per service, balancing over
    its replicas' public ports (round robin) and sending traffic only to a replica whose admin
    port answers GET /ready (checked every 200 ms; down after 2 failures, up after 1 success).
    A request a replica did not answer (connection refused, closed with no response, no
    response in time) is retried up to 3 times, each time on another replica: every request
    the scenarios send is safe to repeat (a creation carries an Idempotency-Key, a status
    change to the status the order has is a no-op). Its log holds the anomalies only
    (retries, redispatches, 5xx, servers going down and up)."""

    BINARY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # /usr/sbin: not on every PATH

    def __init__(self, workdir, backends):
        self.dir = os.path.join(workdir, "haproxy")
        os.makedirs(self.dir)
        self.socket = os.path.join(self.dir, "stats.sock")
        self.ports = {name: free_port() for name in backends}
        self.backends = {name: [svc.label for svc in replicas] for name, replicas in backends.items()}
        self.config = os.path.join(self.dir, "haproxy.cfg")
        with open(self.config, "w") as f:
            f.write(self.render(backends))
        subprocess.run([self.BINARY, "-c", "-q", "-f", self.config], check=True)
        self.log_path = os.path.join(self.dir, "haproxy.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.BINARY, "-db", "-f", self.config],
                                     stdout=self.log, stderr=self.log, cwd=self.dir)
        try:
            for name, servers in self.backends.items():
                for server in servers:
                    self.wait_up(name, server)
        except BaseException:
            self.stop()
            raise

    def render(self, backends):
        sections = [f"""global
    maxconn 4096
    stats socket {self.socket} mode 600 level admin
    log stderr format raw local0 info

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 1s
    timeout client 30s
    timeout server 15s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    timeout check 1s
    # A request a replica did not answer goes to another replica, up to 3 times. Only a
    # request held whole can be sent again: the body too is read before a server is picked.
    retries 3
    retry-on conn-failure empty-response response-timeout
    option redispatch 1
    option http-buffer-request
"""]
        for name, replicas in backends.items():
            servers = "".join(
                f"    server {svc.label} 127.0.0.1:{svc.port} check port {svc.admin_port}"
                " inter 200ms fall 2 rise 1\n" for svc in replicas)
            sections.append(f"""frontend {name}
    bind 127.0.0.1:{self.ports[name]}
    default_backend {name}

backend {name}
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
{servers}""")
        return "\n".join(sections)

    def url(self, name):
        return f"http://127.0.0.1:{self.ports[name]}"

    def stats(self):
        """`show stat` of the stats socket: one dict per frontend, backend and server."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(self.socket)
            sock.sendall(b"show stat\n")
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        return list(csv.DictReader(io.StringIO(data.decode().lstrip("# "))))

    def servers(self, name):
        """{server: its row of `show stat`} of backend `name`."""
        return {row["svname"]: row for row in self.stats()
                if row["pxname"] == name and row["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_up(self, name, server, timeout=10):
        """Returns once HAProxy sends `server` traffic again (its check passed)."""
        deadline = time.time() + timeout
        while True:
            try:
                if self.servers(name)[server]["status"] == "UP":
                    return
            except (FileNotFoundError, ConnectionRefusedError):
                pass  # not listening on its stats socket yet
            if self.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.proc.returncode}:\n{self.anomalies()}")
            if time.time() > deadline:
                raise RuntimeError(f"haproxy: {name}/{server} not up within {timeout} s")
            time.sleep(0.05)

    def anomalies(self, limit=20):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-limit:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# Every scenario sends thousands of requests with one token, from one address, as fast as it
# can; Schemathesis too. The per-caller limits (tested by the integration tests) are raised
# out of their way.
RATE_LIMITS = {"HTTP_RATE_LIMIT_WRITES_PER_SEC": "100000", "HTTP_RATE_LIMIT_WRITES_BURST": "100000",
               "HTTP_RATE_LIMIT_LOOKUPS_PER_SEC": "100000", "HTTP_RATE_LIMIT_LOOKUPS_BURST": "100000"}


SAMPLE_CATALOG = os.path.join(ROOT, "deploy", "catalog.csv")
PRICES = (500, 5_000, 12_000, 15_000, 20_000)


def priced(cents):
    """The SKU of the price list's product that costs CENTS."""
    return f"P-{cents}"


def price_list():
    """A catalog file with a product `P-<cents>` for each of PRICES (written once per run),
    which every scenario's order database is stocked with, as `scripts/up` stocks the sample
    catalog."""
    path = os.path.join(tempfile.gettempdir(), f"system-tests-prices-{os.getpid()}.csv")
    if not os.path.exists(path):
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["sku", "name", "unit_price_cents"])
            writer.writerows([priced(cents), f"Priced {cents}", cents] for cents in PRICES)
    return path


class Service:
    """One service binary (`order` or `voucher`), started, killed and restarted at will, on
    ports of its own. `label` names a replica (`order-2`) in logs and messages."""

    def __init__(self, name, env, workdir, label=None, migrate=True):
        self.name = name
        self.label = label or name
        self.port = free_port()
        self.admin_port = free_port()
        self.env = {**os.environ, "LOG_FORMAT": "text", "RUST_LOG": "warn", **RATE_LIMITS, **env,
                    f"{name.upper()}_HTTP_PORT": str(self.port),
                    f"{name.upper()}_ADMIN_PORT": str(self.admin_port)}
        self.log_path = os.path.join(workdir, f"{self.label}.log")
        self.log = open(self.log_path, "a")
        self.proc = None
        self.url = f"http://127.0.0.1:{self.port}"
        # /health, /ready and /metrics: the admin listener, not the public port.
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        if migrate:
            self.run("migrate", "up")
            if name == "order":
                for catalog in (SAMPLE_CATALOG, price_list()):
                    self.run("catalog", "import", catalog)

    def run(self, *args):
        subprocess.run([os.path.join(BIN, self.name), *args], env=self.env, check=True,
                       stdout=self.log, stderr=self.log, cwd=tempfile.gettempdir())

    def start(self, wait=True):
        self.proc = subprocess.Popen([os.path.join(BIN, self.name), "serve"], env=self.env,
                                     stdout=self.log, stderr=self.log, cwd=tempfile.gettempdir())
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if http("GET", f"{self.admin_url}/ready", timeout=1)[0] == 200:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.label} not ready within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=15):
        self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(12)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class System:
    """Databases, Redis and both services for one scenario: `replicas` instances of each
    service (one by default), every replica of a service on the same database and Redis.
    `order` and `voucher` are the first replicas; `orders` and `vouchers` all of them."""

    def __init__(self, name, transport, private_postgres=False, log_env=None, replicas=1,
                 redis_cluster=False):
        self.workdir = tempfile.mkdtemp(prefix=f"fault-{name}-")
        os.chmod(self.workdir, 0o755)
        self.postgres = Postgres(self.workdir) if private_postgres else None
        self.server_url = self.postgres.url if private_postgres else SERVER_URL
        suffix = uuid.uuid4().hex[:10]
        self.databases = (f"fault_orders_{suffix}", f"fault_vouchers_{suffix}")
        # Superuser URLs for counting; the services get the roles' URLs.
        self.orders_db, orders_owner, orders_app = service_database(self.server_url, self.databases[0])
        self.vouchers_db, vouchers_owner, vouchers_app = service_database(self.server_url, self.databases[1])
        self.channel = "order.sent"
        self.redis = (RedisCluster if redis_cluster else Redis)(self.workdir, self.channel)
        self.haproxy = None
        common = {"EVENT_TRANSPORT": transport,
                  "ORDER_SENT_CHANNEL": self.channel, "VOUCHER_ISSUED_STREAM": VOUCHER_STREAM, "AUTH_ISSUER": AUTH_ISSUER,
                  "AUTH_JWKS_FILE": os.path.join(AUTH_DIR, "jwks.json"), **(log_env or {})}
        order_env = dict(common, **self.redis.env("order"),
                         ORDER_DATABASE_URL=orders_app,
                         ORDER_MIGRATION_DATABASE_URL=orders_owner,
                         ORDER_RELAY_POLL_MS="50",
                         EVENT_SIGNING_KEY=os.path.join(EVENT_DIR, "signing-key.pem"),
                         VOUCHER_EVENT_VERIFY_KEYS=os.path.join(VOUCHER_EVENT_DIR, "jwks.json"))
        voucher_env = dict(common, **self.redis.env("voucher"),
                           VOUCHER_DATABASE_URL=vouchers_app,
                           VOUCHER_MIGRATION_DATABASE_URL=vouchers_owner,
                           EVENT_VERIFY_KEYS=os.path.join(EVENT_DIR, "jwks.json"),
                           VOUCHER_EVENT_SIGNING_KEY=os.path.join(VOUCHER_EVENT_DIR, "signing-key.pem"),
                           VOUCHER_CLAIM_IDLE_MS="2000")
        label = lambda name, i: f"{name}-{i}" if replicas > 1 else None
        # Only the first replica migrates, as a deployment's migration job would. Each replica
        # keeps its consumer name across restarts (order.sent for the voucher service,
        # voucher.issued for the order service), so it re-reads its own pending entries; the
        # others claim them after the claim idle time.
        self.orders = [Service("order", dict(order_env, ORDER_CONSUMER_NAME=f"order-{i}"), self.workdir,
                               label("order", i), migrate=i == 1)
                       for i in range(1, replicas + 1)]
        self.vouchers = [Service("voucher", dict(voucher_env, VOUCHER_CONSUMER_NAME=f"voucher-{i}"),
                                 self.workdir, label("voucher", i), migrate=i == 1)
                         for i in range(1, replicas + 1)]
        self.order, self.voucher = self.orders[0], self.vouchers[0]

    def start_haproxy(self):
        """HAProxy in front of every replica of both services (see HAProxy)."""
        self.haproxy = HAProxy(self.workdir, {"order": self.orders, "voucher": self.vouchers})
        return self.haproxy

    def close(self):
        if self.haproxy:
            self.haproxy.stop()
        for svc in (*self.orders, *self.vouchers):
            svc.stop()
        self.redis.stop()
        if self.postgres:
            self.postgres.stop()
        else:
            for db in self.databases:
                psql(SERVER_URL, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
                psql(SERVER_URL, f"DROP ROLE IF EXISTS {db}_owner, {db}_app")
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- load ---------------------------------------------------------------------------

    def create_orders(self, n, cents=12_000):
        body = lambda i: {"customer_id": f"cust-{i % 50}",
                          "items": [{"sku": priced(cents), "quantity": 1}]}

        def create(i):
            for _ in range(50):
                status, order = http("POST", f"{self.order.url}/orders", body(i))
                if status == 201:
                    return order["id"]
                time.sleep(0.2)
            raise RuntimeError("could not create an order")

        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(create, range(n)))

    def send(self, ids, retry=True):
        """PATCHes every order to sent; retries while the order service is down."""

        def patch(order_id):
            for _ in range(150 if retry else 1):
                status, _ = http("PATCH", f"{self.order.url}/orders/{order_id}/status", {"status": "sent"})
                if status == 200:
                    return True
                time.sleep(0.2)
            return False

        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            return sum(pool.map(patch, ids))

    # --- counting -----------------------------------------------------------------------

    def eligible_sent(self):
        return set(psql(self.orders_db, "SELECT id FROM orders WHERE status = 'sent' AND total_cents > 10000"))

    def voucher_counts(self):
        rows = psql(self.vouchers_db, "SELECT order_id, count(*) FROM vouchers GROUP BY order_id")
        return {r.split("|")[0]: int(r.split("|")[1]) for r in rows}

    def settle_and_count(self, name, attempted_ids=None):
        """Waits until every eligible sent order has a voucher (or the timeout), then reports."""
        expected = self.eligible_sent()
        deadline = time.time() + SETTLE_TIMEOUT
        while time.time() < deadline:
            counts = self.voucher_counts()
            if expected <= set(counts):
                break
            time.sleep(0.25)
        time.sleep(0.5)  # let anything still in flight land, so duplicates would show
        counts = self.voucher_counts()
        issued = sum(counts.values())
        lost = len(expected - set(counts))
        duplicated = issued - len(set(counts) & expected)
        attempted = len(expected)
        log(f"  {name}: attempted {attempted} / issued {issued} / lost {lost} / duplicated {duplicated}")
        assert attempted > 0, "no order reached status sent"
        if attempted_ids is not None:
            assert attempted == len(attempted_ids), f"{len(attempted_ids)} orders sent, {attempted} recorded"
        assert lost == 0, f"{lost} vouchers lost"
        assert duplicated == 0, f"{duplicated} duplicate vouchers"
        return attempted


def with_system(name, transport, body, **options):
    system = System(name, transport, **options)
    try:
        body(system)
        system.redis.assert_nothing_refused()
    finally:
        system.close()


# --- scenarios --------------------------------------------------------------------------

def voucher_killed_repeatedly(transport="streams"):
    """kill -9 the voucher service again and again while 2,000 eligible orders are sent."""
    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(2_000)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sending = pool.submit(s.send, ids)
            kills = 0
            while not sending.done() or kills < 3:
                time.sleep(0.7)
                s.voucher.kill9()
                kills += 1
                s.voucher.start()
            sent = sending.result()
        log(f"  killed the voucher service {kills} times")
        s.settle_and_count("voucher killed", range(sent))
    with_system(f"voucher-killed-{transport}", transport, body)


# How many checkouts `vouchers_spent_through_faults` makes: smoke-sized in the test command,
# SYSTEM_CHECKOUTS=1000 for the full run.
CHECKOUTS = int(os.environ.get("SYSTEM_CHECKOUTS", "200"))


def vouchers_spent_through_faults(transport="streams"):
    """Vouchers earned, then spent at checkout, cancelled or sent, while the voucher service and
    then the order service are killed with -9 and Redis is restarted once; some codes are tried
    by two orders at once. After settling: no voucher held or redeemed by two orders, every sent
    order's voucher redeemed, every cancelled order's voucher free again, and `voucher
    reconcile` finds both services agreeing."""
    def body(s):
        s.order.start()
        s.voucher.start()
        earned = s.create_orders(CHECKOUTS)
        s.send(earned)
        s.settle_and_count("vouchers earned", earned)
        deadline = time.time() + SETTLE_TIMEOUT
        while int(psql(s.orders_db, "SELECT count(*) FROM vouchers")[0]) < CHECKOUTS:
            assert time.time() < deadline, "the order service did not learn of every voucher"
            time.sleep(0.1)
        codes = [row.split("|") for row in psql(s.vouchers_db, "SELECT code, customer_id FROM vouchers ORDER BY id")]

        def checkout(attempt):
            """POST /orders spending a code, under an Idempotency-Key of the attempt, retried
            while the order service is down: its order id, or None if the code was refused."""
            i, rival = attempt
            code, customer = codes[i]
            body = {"customer_id": customer, "items": [{"sku": priced(12_000), "quantity": 1}], "voucher_code": code}
            key = f"checkout-{i}-{rival}"
            for _ in range(300):
                status, answer, _ = request("POST", f"{s.order.url}/orders", body,
                                            headers={"Idempotency-Key": key})
                if status == 201:
                    assert answer["discount_cents"] == 500 and answer["total_cents"] == 11_500, answer
                    return answer["id"]
                if status == 422:
                    assert answer["type"] == "/problems/voucher-held", answer
                    return None
                time.sleep(0.2)
            raise RuntimeError(f"checkout {key} never answered")

        def move(order_id, status):
            for _ in range(300):
                if http("PATCH", f"{s.order.url}/orders/{order_id}/status", {"status": status})[0] == 200:
                    return
                time.sleep(0.2)
            raise RuntimeError(f"{order_id} never became {status}")

        # Every tenth code is tried by a second order at the same moment.
        attempts = [(i, 0) for i in range(CHECKOUTS)] + [(i, 1) for i in range(0, CHECKOUTS, 10)]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            placing = pool.map(checkout, attempts)
            time.sleep(0.3)
            s.voucher.kill9()
            time.sleep(0.5)
            s.voucher.start()
            s.redis.stop()
            time.sleep(1.0)
            s.redis.start()
            placed = [order for order in placing if order]
        assert len(placed) == CHECKOUTS, f"{len(placed)} checkouts of {CHECKOUTS} codes got an order"
        log(f"  {len(attempts)} checkouts of {CHECKOUTS} codes: {len(placed)} placed, "
            f"{len(attempts) - len(placed)} refused as held; the voucher service killed, Redis restarted")
        cancelled, sent = placed[::3], [o for i, o in enumerate(placed) if i % 3]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            moving = [pool.submit(move, o, "cancelled") for o in cancelled]
            moving += [pool.submit(move, o, "sent") for o in sent]
            time.sleep(0.3)
            s.order.kill9()
            time.sleep(0.5)
            s.order.start()
            for future in moving:
                future.result()
        log(f"  {len(cancelled)} cancelled and {len(sent)} sent while the order service was killed")

        twice = psql(s.orders_db, "SELECT voucher_id FROM orders WHERE voucher_id IS NOT NULL "
                                  "AND status <> 'cancelled' GROUP BY voucher_id HAVING count(*) > 1")
        assert twice == [], f"vouchers held or redeemed by two orders: {twice}"
        unspent = psql(s.orders_db, "SELECT o.id FROM orders o JOIN vouchers v ON v.id = o.voucher_id "
                                    "WHERE o.status = 'sent' AND NOT (v.redeemed AND v.held_by = o.id)")
        assert unspent == [], f"sent orders whose voucher is not redeemed: {unspent}"
        kept = psql(s.orders_db, "SELECT o.id FROM orders o JOIN vouchers v ON v.id = o.voucher_id "
                                 "WHERE o.status = 'cancelled' AND v.held_by IS NOT NULL")
        assert kept == [], f"cancelled orders whose voucher was not given back: {kept}"
        s.settle_and_count("vouchers earned by the discounted orders")
        deadline = time.time() + SETTLE_TIMEOUT
        env = {**s.voucher.env, "RECONCILE_ORDER_DATABASE_URL": s.order.env["ORDER_DATABASE_URL"]}
        while True:
            result = subprocess.run([os.path.join(BIN, "voucher"), "reconcile"], env=env,
                                    capture_output=True, text=True, cwd=tempfile.gettempdir())
            if result.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.5)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
        assert result.returncode == 0, f"the services disagree:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        redeemed = int(psql(s.vouchers_db, "SELECT count(*) FROM voucher_usages WHERE kind = 'redeemed'")[0])
        assert redeemed == len(sent), f"{redeemed} redemptions recorded for {len(sent)} sent orders"
        log(f"  voucher reconcile: {summary}; {redeemed} redeemed, none twice")
    with_system(f"vouchers-spent-{transport}", transport, body)


class Calls:
    """A client's requests through a load balancer, each repeated until it succeeds, and the
    tally the replicas scenario asserts on: the failures the client saw, and how many requests
    were in flight when a replica was killed (the most a kill can have caught)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempts = 0
        self.in_flight = 0
        self.killing = False
        self.peak = 0  # the most requests in flight at once while a replica is being killed
        self.exposure = 0  # those peaks, summed over the kills
        self.failed = collections.Counter()  # 5xx and no answer (None), by status
        self.disturbed = 0  # requests that saw a failure (or a held key) before they succeeded
        self.held_keys = 0  # creations answered 409 idempotency-key-in-flight at least once

    def until_done(self, method, url, body=None, expected=200, bearer=None, headers=None, patience=90):
        """The answer of the first attempt answered `expected`. A 5xx or no answer is retried,
        as is a creation whose Idempotency-Key is still held by a request a kill interrupted;
        anything else fails the scenario."""
        disturbed = held = False
        deadline = time.time() + patience
        while True:
            with self.lock:
                self.attempts += 1
                self.in_flight += 1
                if self.killing:
                    self.peak = max(self.peak, self.in_flight)
            try:
                status, answer, _ = request(method, url, body, timeout=20, bearer=bearer, headers=headers)
            finally:
                with self.lock:
                    self.in_flight -= 1
            if status == expected:
                with self.lock:
                    self.disturbed += disturbed
                    self.held_keys += held
                return answer
            if status is None or status >= 500:
                with self.lock:
                    self.failed[status] += 1
            elif status == 409 and (answer or {}).get("type") == "/problems/idempotency-key-in-flight":
                held = True
            else:
                raise AssertionError(f"{method} {url} answered {status}: {answer}")
            disturbed = True
            assert time.time() < deadline, f"{method} {url} did not succeed within {patience} s (last: {status})"
            time.sleep(1 if status == 409 else 0.1)

    def kill(self, svc):
        """kill -9 `svc`, adding to `exposure` the most requests in flight at once from just
        before the signal until the process is gone: the requests it can have died with are
        among them. (At most WORKERS: no more threads send.)"""
        with self.lock:
            self.killing, self.peak = True, self.in_flight
        svc.kill9()
        with self.lock:
            self.killing = False
            self.exposure += self.peak

    def check(self, what, kills):
        """Allows only the failures the kills explain: proxy errors or no answer (a killed
        replica answers nothing itself, so a 500 is never its), on no more attempts and no more
        requests than were in flight at the kills (`exposure`). Every request succeeded in the
        end (until_done)."""
        failures = sum(self.failed.values())
        kinds = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(self.failed.items(), key=str))
        log(f"  {what}: {self.attempts} attempts, {failures} failed ({kinds or 'none'}), "
            f"{self.disturbed} requests retried by the client, {self.held_keys} of them on a held "
            f"Idempotency-Key; {self.exposure} requests in flight at {kills} kills")
        unexplained = set(self.failed) - {None, 502, 503, 504}
        assert not unexplained, f"{what}: statuses no kill explains: {self.failed}"
        assert failures <= self.exposure, f"{what}: {failures} failures, {self.exposure} requests in flight at kills"
        assert self.disturbed <= self.exposure, \
            f"{what}: {self.disturbed} requests disturbed, {self.exposure} in flight at kills"


def replicas_behind_haproxy(transport):
    """3 order and 3 voucher replicas behind HAProxy (one database per service, one Redis):
    5,000 eligible orders (SYSTEM_TEST_REPLICA_ORDERS) created and sent through the load
    balancer, and the vouchers read through it, while one replica of each service after
    another is killed with -9 and restarted."""
    orders_wanted = int(os.environ.get("SYSTEM_TEST_REPLICA_ORDERS", "5000"))
    customers = min(50, orders_wanted)

    def body(s):
        for svc in (*s.orders, *s.vouchers):
            svc.start()
        lb = s.start_haproxy()
        orders_url, vouchers_url = lb.url("order"), lb.url("voucher")
        writes, reads = Calls(), Calls()
        operator()  # minted once, before the threads need it
        done = threading.Event()  # the run is over (or failed): readers stop, orders left undone
        finished = []

        def order(i):
            if done.is_set():
                return None
            created = writes.until_done(
                "POST", f"{orders_url}/orders",
                {"customer_id": f"cust-{i % customers}",
                 "items": [{"sku": priced(12_000), "quantity": 1}]},
                expected=201, headers={"Idempotency-Key": f"replicas-{uuid.uuid4()}"})
            sent = writes.until_done("PATCH", f"{orders_url}/orders/{created['id']}/status", {"status": "sent"})
            assert sent["status"] == "sent", sent
            finished.append(time.time())
            return created["id"]

        def read_vouchers():
            i = 0
            while not done.is_set():
                reads.until_done("GET", f"{vouchers_url}/vouchers?customer_id=cust-{i % customers}&limit=5")
                i += 1
                time.sleep(0.02)

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool, \
                concurrent.futures.ThreadPoolExecutor(2) as drivers:
            sending = drivers.submit(lambda: list(pool.map(order, range(orders_wanted))))
            reading = drivers.submit(read_vouchers)
            kills = 0
            try:
                while not sending.done() or kills < 3:
                    time.sleep(2)
                    victims = (s.orders[kills % len(s.orders)], s.vouchers[(kills + 1) % len(s.vouchers)])
                    writes.kill(victims[0])
                    reads.kill(victims[1])
                    for svc in victims:
                        svc.start()
                    for name, svc in zip(("order", "voucher"), victims):
                        lb.wait_up(name, svc.label)
                    kills += 1
                ids = sending.result()
            finally:
                done.set()
            reading.result()
        # A creation a kill interrupted is rolled back with its key, so its retry goes ahead
        # at once: no retry may find the key held.
        assert writes.held_keys == 0, f"{writes.held_keys} creations found their key held by a killed replica"
        finished.sort()
        bulk = finished[len(finished) - 1 - writes.held_keys] - started
        log(f"  {len(ids)} orders created and sent through HAProxy in {time.time() - started:.1f} s "
            f"(all but {writes.held_keys} in {bulk:.1f} s); "
            f"killed an order and a voucher replica {kills} times each")
        stats = {row["pxname"]: row for row in lb.stats() if row["svname"] == "BACKEND"}
        log("  HAProxy: " + "; ".join(f"{name} {stats[name]['wretr']} retries, {stats[name]['wredis']} redispatches"
                                       for name in ("order", "voucher")))
        try:
            writes.check("orders", kills)
            reads.check("voucher reads", kills)
        except AssertionError:
            log(f"  HAProxy's log (the last anomalies):\n{lb.anomalies()}")
            raise
        assert len(set(ids)) == orders_wanted, "an order id was returned twice"
        [stored] = psql(s.orders_db, "SELECT count(*) FROM orders")
        assert int(stored) == orders_wanted, f"{stored} orders stored for {orders_wanted} creations"
        s.settle_and_count(f"replicas ({transport})", ids)
        # Every customer reads its own vouchers through the voucher load balancer: all of them
        # (the newest 100), as the database has them.
        for c in range(customers):
            customer = f"cust-{c}"
            listed = reads.until_done("GET", f"{vouchers_url}/vouchers?limit=100",
                                      bearer=token(customer, "vouchers:read"))
            expected = psql(s.vouchers_db, f"SELECT order_id FROM vouchers WHERE customer_id = '{customer}' "
                                           "ORDER BY id DESC LIMIT 100")
            got = [v["order_id"] for v in listed["items"]]
            assert got and set(got) == set(expected) and {v["customer_id"] for v in listed["items"]} == {customer}, \
                f"{customer} listed {len(got)} vouchers, the database has {len(expected)}"
        served = {name: {server: int(row["hrsp_2xx"]) for server, row in lb.servers(name).items()}
                  for name in ("order", "voucher")}
        assert all(all(counts.values()) for counts in served.values()), f"a replica served nothing: {served}"
        log(f"  {customers} customers listed their vouchers through HAProxy; 2xx answers per replica: {served}")
        exited = [svc.label for svc in (*s.orders, *s.vouchers) if svc.proc.poll() is not None]
        assert not exited, f"replicas exited by themselves: {exited}"
    with_system(f"replicas-{transport}", transport, body, replicas=3)


def order_killed_while_relaying(transport="streams"):
    """kill -9 the order service while its relay is publishing, then restart it."""
    def body(s):
        s.voucher.start()
        s.order.start()
        ids = s.create_orders(1_000)
        # Mark everything sent straight in the database, as a burst of PATCHes would, so the
        # outbox is full when the relay starts: then kill the service mid-drain.
        s.order.stop()
        psql(s.orders_db, """
            WITH sent AS (UPDATE orders SET status = 'sent', updated_at = now()
                          RETURNING id, customer_id, total_cents),
                 events AS (SELECT gen_random_uuid() AS event_id, * FROM sent)
            INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at)
            SELECT event_id, id, 'order.sent',
                   jsonb_build_object('event_id', event_id, 'event_type', 'order.sent',
                       'schema_version', 1, 'occurred_at', now(), 'order_id', id,
                       'customer_id', customer_id, 'total_cents', total_cents, 'currency', 'EUR'),
                   now()
            FROM events""")
        for _ in range(3):
            s.order.start(wait=False)
            time.sleep(0.25)
            s.order.kill9()
        published = int(psql(s.orders_db, "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")[0])
        log(f"  {published} of {len(ids)} events published before the last kill")
        s.order.start()
        s.settle_and_count("order killed", ids)
    with_system("order-killed", transport, body)


def redis_restarted(transport):
    """Restart Redis in the middle of a run."""
    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(600)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sending = pool.submit(s.send, ids)
            time.sleep(0.5)
            s.redis.stop()
            time.sleep(1.5)
            s.redis.start()
            sent = sending.result()
        s.settle_and_count(f"redis restarted ({transport})", range(sent))
    with_system(f"redis-{transport}", transport, body)


def cluster_primary_killed(transport):
    """On a Redis Cluster (3 primaries, 3 replicas), kill -9 the primary that holds the event
    stream's slot (and the pub/sub subscription's node) in the middle of 2,000 orders; its
    replica takes over, and the killed node comes back as a replica."""
    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(2_000)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sending = pool.submit(s.send, ids)
            time.sleep(2)
            primary = s.redis.primary_of(s.channel)
            s.redis.kill(primary)
            s.redis.wait()
            promoted = s.redis.primary_of(s.channel)
            assert promoted != primary, f"the stream's slot is still served by {primary}"
            log(f"  killed primary {primary}; {promoted} took over")
            s.redis.start_node(primary)
            s.redis.wait()
            sent = sending.result()
        s.settle_and_count(f"cluster primary killed ({transport})", range(sent))
    with_system(f"cluster-{transport}", transport, body, redis_cluster=True)


def redis_down_behind_haproxy(transport):
    """2 order replicas behind HAProxy, which health-checks /ready: with Redis stopped, every
    order replica stays in rotation and 300 orders are created and sent through the load
    balancer; once Redis is back, each earns its voucher."""
    def body(s):
        for svc in (*s.orders, *s.vouchers):
            svc.start()
        lb = s.start_haproxy()
        s.redis.stop()
        time.sleep(1)  # five health checks of every replica with Redis down
        base = lb.url("order")
        created = []
        for i in range(300):
            status, order = http("POST", f"{base}/orders",
                                 {"customer_id": f"cust-{i % 20}",
                                  "items": [{"sku": priced(15_000), "quantity": 1}]})
            assert status == 201, f"POST /orders through the load balancer with Redis down: {status} {order}"
            created.append(order["id"])
        for order_id in created:
            status, order = http("PATCH", f"{base}/orders/{order_id}/status", {"status": "sent"})
            assert status == 200, f"PATCH through the load balancer with Redis down: {status} {order}"
        servers = lb.servers("order")
        assert all(row["status"] == "UP" for row in servers.values()), \
            f"an order replica left the rotation while Redis was down: {servers}"
        assert all(int(row["hrsp_2xx"]) > 0 for row in servers.values()), \
            "every order replica served while Redis was down"
        waiting = int(psql(s.orders_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0])
        assert waiting == len(created), f"{waiting} of {len(created)} events wait in the outbox"
        log(f"  {len(created)} orders created and sent through HAProxy with Redis down")
        s.redis.start()
        s.settle_and_count(f"redis down behind haproxy ({transport})", created)
    with_system(f"redis-down-lb-{transport}", transport, body, replicas=2)


def voucher_down_then_started(transport):
    """The voucher service is down while 500 orders are sent, then started."""
    def body(s):
        s.order.start()
        s.voucher.start()
        s.voucher.stop()
        ids = s.create_orders(500)
        sent = s.send(ids)
        time.sleep(1)
        assert not s.voucher_counts(), "vouchers appeared while the voucher service was down"
        s.voucher.start()
        s.settle_and_count(f"voucher down ({transport})", range(sent))
    with_system(f"voucher-down-{transport}", transport, body)


def duplicates_and_concurrent_patches(transport):
    """Every event delivered twice, and 50 concurrent PATCHes to sent on one order."""
    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(300)
        s.send(ids)
        s.settle_and_count(f"first delivery ({transport})", ids)
        # Deliver every event again: the outbox is replayed by the relay.
        psql(s.orders_db, "UPDATE outbox SET published_at = NULL, next_attempt_at = now()")
        deadline = time.time() + 30
        while psql(s.orders_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0] != "0":
            assert time.time() < deadline, "the replay did not drain"
            time.sleep(0.2)
        [race] = s.create_orders(1)
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            codes = list(pool.map(
                lambda _: http("PATCH", f"{s.order.url}/orders/{race}/status", {"status": "sent"})[0],
                range(50)))
        assert codes.count(200) == 50, codes
        events = psql(s.orders_db, f"SELECT count(*) FROM outbox WHERE aggregate_id = '{race}'")[0]
        assert events == "1", f"{events} events for one order"
        s.settle_and_count(f"every event twice ({transport})", ids + [race])
    with_system(f"duplicates-{transport}", transport, body)


def poison_interleaved(transport):
    """Unsigned poison events, written straight into Redis, interleaved with good ones."""
    poison = ["not json", "{}", json.dumps({"event_type": "order.sent", "schema_version": 9}),
              json.dumps({"event_type": "order.sent", "schema_version": 1, "order_id": 42})]

    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(200)
        for i, chunk in enumerate(range(0, len(ids), 50)):
            s.send(ids[chunk:chunk + 50])
            for payload in poison:
                if transport == "streams":
                    s.redis.cli("XADD", s.channel, "*", "payload", payload)
                else:
                    s.redis.cli("PUBLISH", s.channel, payload)
        s.settle_and_count(f"poison interleaved ({transport})", ids)
        deadline = time.time() + 10
        expected = 4 * len(poison)
        while int(s.redis.cli("XLEN", "{" + s.channel + "}.dead")) < expected:
            assert time.time() < deadline, "poison events did not reach the dead-letter stream"
            time.sleep(0.1)
        reasons = s.redis.cli("XRANGE", "{" + s.channel + "}.dead", "-", "+").count("bad_signature")
        assert reasons == expected, f"{reasons} of {expected} dead letters say bad_signature"
        log(f"  {expected} unsigned events dead-lettered as bad_signature, no voucher from any")
    with_system(f"poison-{transport}", transport, body)


def database_down():
    """PostgreSQL stops: /ready says 503, requests get a JSON 503, the services stay up and
    recover by themselves when it is back."""
    def body(s):
        s.order.start()
        s.voucher.start()
        before = s.create_orders(50)
        s.send(before)
        s.settle_and_count("before the outage", before)
        s.postgres.stop()
        for svc in (s.order, s.voucher):
            status, body = http("GET", f"{svc.admin_url}/ready", timeout=10)
            assert status == 503, f"{svc.name} /ready answered {status} with the database down"
        status, problem, headers = request("POST", f"{s.order.url}/orders", {
            "customer_id": "c", "items": [{"sku": priced(20000), "quantity": 1}]})
        assert status == 503, f"POST /orders answered {status} with the database down"
        assert headers["content-type"].startswith("application/problem+json")
        assert problem["status"] == 503 and "unavailable" in problem["detail"], problem
        assert s.order.proc.poll() is None and s.voucher.proc.poll() is None, "a service exited"
        log("  with the database down: /ready 503, POST /orders 503 problem, both processes up")
        s.postgres.start()
        s.order.wait_ready()
        s.voucher.wait_ready()
        after = s.create_orders(50)
        s.send(after)
        s.settle_and_count("after the outage", before + after)
    with_system("database-down", "pubsub", body, private_postgres=True)


def graceful_shutdown():
    """SIGTERM under load: both services exit within 10 s, and nothing is half done."""
    def body(s):
        s.order.start()
        s.voucher.start()
        ids = s.create_orders(1_000)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sending = pool.submit(s.send, ids)
            time.sleep(0.5)
            for svc in (s.voucher, s.order):
                started = time.time()
                svc.proc.terminate()
                code = svc.proc.wait(15)
                took = time.time() - started
                log(f"  {svc.name} exited with {code} {took:.2f} s after SIGTERM")
                assert code == 0, f"{svc.name} exit code {code}"
                assert took < 10, f"{svc.name} took {took:.1f} s to stop"
            s.voucher.start()
            s.order.start()
            sending.result()
        s.settle_and_count("after SIGTERM", ids)
    with_system("graceful-shutdown", "streams", body)


def correlation():
    """The request id and trace id of a PATCH appear in both services' JSON log lines."""
    def body(s):
        s.order.start()
        s.voucher.start()
        [order_id] = s.create_orders(1)
        request_id = f"corr-{uuid.uuid4().hex}"
        trace_id = uuid.uuid4().hex
        status, _, headers = request(
            "PATCH", f"{s.order.url}/orders/{order_id}/status", {"status": "sent"},
            headers={"x-request-id": request_id, "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        assert status == 200 and headers["x-request-id"] == request_id, (status, headers)
        s.settle_and_count("correlated order", [order_id])
        time.sleep(0.3)
        for svc, message in ((s.order, "event published"), (s.voucher, "voucher issued")):
            lines = [json.loads(line) for line in open(svc.log_path) if line.startswith("{")]
            assert lines, f"{svc.name} wrote no JSON log lines"
            matching = [line for line in lines if message in json.dumps(line)
                        and request_id in json.dumps(line) and trace_id in json.dumps(line)]
            assert matching, f"no {svc.name} line '{message}' with the request and trace ids"
        log(f"  request {request_id} and trace {trace_id} found in both services' JSON logs")
    with_system("correlation", "pubsub", body, log_env={"LOG_FORMAT": "json", "RUST_LOG": "info"})


def readme_commands():
    """The walk-through of README.md: its token assignments and its curl commands."""
    text = open(os.path.join(ROOT, "README.md")).read()
    block = text.split("### Walk-through", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assignments, commands, current = [], [], ""
    for line in block.splitlines():
        line = line.strip()
        if line.split("=", 1)[0].isupper() and "=$(scripts/token " in line:
            assignments.append(line)
        elif current or line.startswith("curl "):
            current += line.rstrip("\\").strip() + " "
            if not line.endswith("\\"):
                commands.append(current.strip())
                current = ""
    assert len(assignments) == 2, f"expected the 2 token assignments, found {assignments}"
    assert len(commands) == 10, f"expected the 10 walk-through commands, found {commands}"
    return assignments, commands


def readme_walkthrough():
    """Every example request in the README works as written: tokens, the catalog, create,
    send, see the voucher, spend it, cancel, spend it again, send, see it redeemed, and another
    customer refused."""
    def body(s):
        s.order.start()
        s.voucher.start()
        mint = (f"{os.path.join(BIN, 'checkout-token')} mint --issuer {AUTH_ISSUER} "
                f"--key {os.path.join(AUTH_DIR, 'signing-key.pem')} --jwks {os.path.join(AUTH_DIR, 'jwks.json')}")
        substitutions = {"localhost:54322": f"127.0.0.1:{s.order.port}",
                         "localhost:54323": f"127.0.0.1:{s.voucher.port}",
                         "scripts/token": mint}
        assignments, commands = readme_commands()

        def run(command):
            script = "; ".join([*assignments, command])
            for old, new in substitutions.items():
                script = script.replace(old, new)
            out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout
            return json.loads(out)

        products, create, send, vouchers, spend, cancel, spend_again, send_last, voucher, others = commands
        book = next(p for p in run(products)["items"] if p["sku"] == "BOOK-1")
        assert (book["name"], book["unit_price_cents"]) == ("The Rust Programming Language", 6000), book
        order = run(create)
        assert order["total_cents"] == 12000 and order["status"] == "created", order
        assert (order["subtotal_cents"], order["discount_cents"], order["voucher_id"]) == (12000, 0, None), order
        assert order["items"][0]["name"] == book["name"], order
        substitutions["<id>"] = order["id"]
        assert run(send)["status"] == "sent"
        deadline = time.time() + 5
        while not (listed := run(vouchers))["items"]:
            assert time.time() < deadline, "no voucher within 5 s"
            time.sleep(0.1)
        earned = listed["items"][0]
        assert (earned["amount_cents"], earned["status"]) == (500, "active"), listed
        substitutions["7K3M-QX9P-2HBD-W4RT"] = earned["code"]
        # The order service hears of the voucher within the projection lag.
        deadline = time.time() + 5
        while (held := run(spend)).get("type") == "/problems/voucher-unknown":
            assert time.time() < deadline, "the voucher was not usable within 5 s"
            time.sleep(0.1)
        assert (held["subtotal_cents"], held["discount_cents"], held["total_cents"]) == (1250, 500, 750), held
        assert held["voucher_id"] == earned["id"], held
        substitutions["<next>"] = held["id"]
        assert run(cancel)["status"] == "cancelled"
        last = run(spend_again)
        assert (last["discount_cents"], last["total_cents"]) == (500, 2000), last
        substitutions["<last>"] = last["id"]
        assert run(send_last)["status"] == "sent"
        deadline = time.time() + 5
        while (told := run(voucher))["status"] != "redeemed":
            assert time.time() < deadline, f"the voucher was not redeemed within 5 s: {told}"
            time.sleep(0.1)
        assert told["used_by_order_id"] == last["id"], told
        story = [(e["event"], e["order_id"]) for e in told["history"]]
        assert story == [("issued", order["id"]), ("reserved", held["id"]), ("released", held["id"]),
                         ("reserved", last["id"]), ("redeemed", last["id"])], story
        refused = run(others)
        assert refused["status"] == 404 and refused["type"] == "/problems/order-not-found", refused
        log(f"  {len(assignments)} token commands and {len(commands)} README requests ran as documented: "
            "the voucher earned, held, given back, held again and spent")
    with_system("readme", "pubsub", body)


def attack():
    """The attack an anonymous or malicious caller would try with nothing but HTTP: list every
    order, harvest another customer's voucher codes, spend them, mint vouchers by ordering for
    someone else and marking the order sent, and forge tokens. Every step is refused and
    nothing changes."""
    def body(s):
        s.order.start()
        s.voucher.start()
        orders, vouchers = s.order.url, s.voucher.url
        victim = token("victim", "orders:write", "orders:read", "vouchers:read")
        checkout = token("checkout", "orders:write", client=True)
        fulfilment = token("fulfilment", "orders:status", client=True)
        status, order = http("POST", f"{orders}/orders", {
            "customer_id": "victim",
            "items": [{"sku": priced(20_000), "quantity": 1}]}, bearer=victim)
        assert status == 201, status
        assert http("PATCH", f"{orders}/orders/{order['id']}/status", {"status": "sent"},
                    bearer=fulfilment)[0] == 200
        s.settle_and_count("the victim's order", [order["id"]])
        [code] = psql(s.vouchers_db, "SELECT code FROM vouchers")
        mallory = token("mallory", "orders:write", "orders:read", "vouchers:read")

        def refused(step, method, url, expected, bearer, body=None):
            status, problem, headers = request(method, url, body, bearer=bearer)
            assert status == expected, f"{step}: {status} {problem}"
            assert problem and problem["status"] == expected, f"{step}: {problem}"
            if expected == 401:
                assert headers["www-authenticate"] == 'Bearer error="invalid_token"', headers
            log(f"  refused with {status} {problem['type']}: {step}")

        refused("list every order, anonymously", "GET", f"{orders}/orders", 401, "")
        refused("list the victim's vouchers, anonymously", "GET",
                f"{vouchers}/vouchers?customer_id=victim", 401, "")
        spend = {"customer_id": "mallory", "items": [{"sku": priced(20_000), "quantity": 1}], "voucher_code": code}
        refused("spend a harvested code at checkout, anonymously", "POST", f"{orders}/orders", 401, "", spend)
        refused("list the victim's orders as mallory", "GET", f"{orders}/orders?customer_id=victim", 403, mallory)
        refused("list the victim's vouchers as mallory", "GET",
                f"{vouchers}/vouchers?customer_id=victim", 403, mallory)
        refused("read the victim's order as mallory", "GET", f"{orders}/orders/{order['id']}", 404, mallory)
        status, listed = http("GET", f"{vouchers}/vouchers?order_id={order['id']}", bearer=mallory)
        assert (status, listed["items"]) == (200, []), (status, listed)
        log("  refused: the victim's voucher found by its order id (mallory's listing holds her own only)")
        refused("read the victim's voucher by code as mallory", "GET", f"{vouchers}/vouchers/{code}", 404, mallory)
        refused("spend the victim's voucher at checkout as mallory", "POST", f"{orders}/orders", 422, mallory, spend)
        big = {"items": [{"sku": priced(20_000), "quantity": 1}]}
        refused("order 200 EUR in the victim's name as mallory", "POST", f"{orders}/orders", 403, mallory,
                {"customer_id": "victim", **big})
        refused("order a 200 EUR product at 1 cent as mallory", "POST", f"{orders}/orders", 400, mallory,
                {"customer_id": "mallory", "items": [{**big["items"][0], "unit_price_cents": 1}]})
        refused("reprice the product to 1 cent as mallory", "PUT", f"{orders}/products/{priced(20_000)}", 403,
                mallory, {"name": "Bargain", "unit_price_cents": 1})
        refused("reprice it with the checkout service's token", "PUT", f"{orders}/products/{priced(20_000)}", 403,
                checkout, {"name": "Bargain", "unit_price_cents": 1})
        refused("take the product off sale as mallory", "DELETE", f"{orders}/products/{priced(20_000)}", 403, mallory)
        status, own = http("POST", f"{orders}/orders", {"customer_id": "mallory", **big}, bearer=mallory)
        assert status == 201 and own["total_cents"] == 20_000, (status, own)
        refused("mark mallory's own order sent, to mint a voucher", "PATCH",
                f"{orders}/orders/{own['id']}/status", 403, mallory, {"status": "sent"})
        refused("mark it sent with the checkout service's token", "PATCH",
                f"{orders}/orders/{own['id']}/status", 403, checkout, {"status": "sent"})
        header, claims, _ = fulfilment.split(".")
        forged_claims = base64.urlsafe_b64encode(json.dumps({
            **json.loads(base64.urlsafe_b64decode(claims + "==")), "sub": "mallory",
            "scope": "orders:status vouchers:admin"}).encode()).decode().rstrip("=")
        none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').decode().rstrip("=")
        for what, forged in [("a fulfilment token with its claims rewritten", f"{header}.{forged_claims}.{_}"),
                             ("an unsigned token (alg none)", f"{none_header}.{forged_claims}.")]:
            refused(f"mark it sent with {what}", "PATCH", f"{orders}/orders/{own['id']}/status", 401,
                    forged, {"status": "sent"})
        assert psql(s.vouchers_db, "SELECT (SELECT count(*) FROM vouchers) || '/' || "
                    "(SELECT count(*) FROM voucher_usages)") == ["1/0"], \
            "the victim's voucher was taken or another minted"
        assert psql(s.orders_db, "SELECT count(*) FROM vouchers WHERE held_by IS NOT NULL") == ["0"], \
            "the victim's voucher is held"
        assert psql(s.orders_db, "SELECT status FROM orders WHERE id = '%s'" % own["id"]) == ["created"]
        assert psql(s.orders_db, f"SELECT unit_price_cents || '/' || active FROM products WHERE sku = '{priced(20_000)}'") \
            == ["20000/true"], "the catalog was changed"
        log("  nothing changed: one voucher, never used, mallory's order still created, the catalog as it was")
        logs = "".join(open(svc.log_path).read() for svc in (s.order, s.voucher))
        assert "access token refused" in logs and "request refused" in logs, "refusals are not logged"
        for secret in (victim, mallory, checkout, fulfilment, forged_claims):
            assert secret not in logs, "a token was logged"
        assert code not in logs and code.replace("-", "") not in logs, "the voucher code was logged"
        log("  both services logged why each request was refused, and no token or voucher code")
    with_system("attack", "pubsub", body, log_env={"RUST_LOG": "info"})


def contract():
    """Schemathesis against both running services."""
    def body(s):
        s.order.start()
        s.voucher.start()
        tokens = {"ORDER_TOKEN": token("schemathesis", *ORDER_SCOPES, client=True),
                  "VOUCHER_TOKEN": token("schemathesis", *VOUCHER_SCOPES, client=True)}
        result = subprocess.run([os.path.join(ROOT, "scripts", "schemathesis"), s.order.url, s.voucher.url],
                                env={**os.environ, **tokens})
        assert result.returncode == 0, "schemathesis found failures (see above)"
    with_system("contract", "pubsub", body)


def generated_clients():
    """A Python client generated from each service's document (scripts/generated-clients,
    openapi-python-client) walks through the README: create, mark sent, list the voucher,
    spend it, cancel, spend it again, send, and see it redeemed."""
    def body(s):
        s.order.start()
        s.voucher.start()
        tokens = {"ALICE_TOKEN": token("alice", "orders:write", "orders:read", "vouchers:read"),
                  "FULFILMENT_TOKEN": token("fulfilment", "orders:status", client=True)}
        result = subprocess.run([os.path.join(ROOT, "scripts", "generated-clients"), s.order.url, s.voucher.url],
                                env={**os.environ, **tokens})
        assert result.returncode == 0, "client generation or the walk-through failed (see above)"
    with_system("clients", "pubsub", body)


SCENARIOS = {
    "vouchers_spent_through_faults": vouchers_spent_through_faults,
    "attack": attack,
    "contract": contract,
    "generated_clients": generated_clients,
    "readme_walkthrough": readme_walkthrough,
    "correlation": correlation,
    "database_down": database_down,
    "graceful_shutdown": graceful_shutdown,
    "voucher_killed_repeatedly": voucher_killed_repeatedly,
    "voucher_killed_repeatedly_pubsub": lambda: voucher_killed_repeatedly("pubsub"),
    "order_killed_while_relaying": order_killed_while_relaying,
    "replicas_streams": lambda: replicas_behind_haproxy("streams"),
    "replicas_pubsub": lambda: replicas_behind_haproxy("pubsub"),
    "redis_restarted_pubsub": lambda: redis_restarted("pubsub"),
    "redis_restarted_streams": lambda: redis_restarted("streams"),
    "redis_down_behind_haproxy": lambda: redis_down_behind_haproxy("pubsub"),
    "cluster_primary_killed_pubsub": lambda: cluster_primary_killed("pubsub"),
    "cluster_primary_killed_streams": lambda: cluster_primary_killed("streams"),
    "voucher_down_pubsub": lambda: voucher_down_then_started("pubsub"),
    "voucher_down_streams": lambda: voucher_down_then_started("streams"),
    "duplicates_pubsub": lambda: duplicates_and_concurrent_patches("pubsub"),
    "duplicates_streams": lambda: duplicates_and_concurrent_patches("streams"),
    "poison_pubsub": lambda: poison_interleaved("pubsub"),
    "poison_streams": lambda: poison_interleaved("streams"),
}


def main(args):
    if any(arg in ("-h", "--help") for arg in args):
        print(__doc__)
        print("scenarios:", *SCENARIOS, sep="\n  ")
        return 0
    unknown = [name for name in args if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {' '.join(unknown)} (see --help)", file=sys.stderr)
        return 2
    global SERVER_URL, AUTH_DIR, EVENT_DIR, VOUCHER_EVENT_DIR
    workdir = tempfile.mkdtemp(prefix="system-tests-")
    os.chmod(workdir, 0o755)  # PostgreSQL may run as another user and must reach its directory
    AUTH_DIR = os.path.join(workdir, "auth")
    EVENT_DIR = os.path.join(workdir, "events")
    VOUCHER_EVENT_DIR = os.path.join(workdir, "voucher-events")
    for directory in (AUTH_DIR, EVENT_DIR, VOUCHER_EVENT_DIR):
        subprocess.run([os.path.join(BIN, "checkout-token"), "keygen", directory], check=True,
                       capture_output=True)
    if os.environ.get("DATABASE_URL"):
        SERVER_URL = os.environ["DATABASE_URL"]
        try:
            return run(args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    try:
        server = Postgres(workdir, "synchronous_commit=off", "max_connections=400")
        try:
            SERVER_URL = server.url
            return run(args)
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(names):
    passed = failed = 0
    for name in names or SCENARIOS:
        log(f"scenario {name}")
        started = time.time()
        try:
            SCENARIOS[name]()
            passed += 1
            log(f"  PASS {name} ({time.time() - started:.1f} s)")
        except Exception:  # report every scenario, then fail the run
            failed += 1
            traceback.print_exc()
            log(f"  FAIL {name} ({time.time() - started:.1f} s)")
    print(f"system tests: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
