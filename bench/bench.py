#!/usr/bin/env python3
"""Helpers of bench/run that are easier in Python than in bash (standard library only).

Every subcommand reads or writes small JSON files in the run's work directory; bench/run
orchestrates the processes and calls these in between.

  cpu-snapshot OUT PID_ORDER PID_VOUCHER PID_POSTMASTER PID_REDIS
  parse-wrk OUT < wrk output
  parse-pgbench OUT LOG_PREFIX < pgbench output
  drive OUT URL create|patch COUNT|IDS_FILE CONNECTIONS [PREFIX]
  metrics-snapshot OUT NAME=ADMIN_URL...
  settle OUT BEGIN_JSON CONSUMED ACKS STALL_S NAME=ADMIN_URL...
  startup OUT NAME URL LOG -- CMD...
  e2e-latency OUT ORDERS_CSV VOUCHERS_CSV IDS_FILE T0 POLLED_DONE_S AFTER_WAIT
  open-e2e OUT PATCH_JSON PATCH_CSV VOUCHERS_CSV VOUCHERS_BEFORE
  projection-lag OUT ISSUED_CSV KNOWN_CSV
  meta OUT REPO BIN_DIR PSQL_CMD key=value...
  merge FILE key=value...
  report WORKDIR JSON_OUT [SVG_OUT]
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import time
import http.client

CLK_TCK = os.sysconf("SC_CLK_TCK")


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


# --- CPU accounting --------------------------------------------------------------------


def proc_stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may contain spaces; everything after the last ')' is fixed fields.
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLK_TCK
    reaped = (int(fields[13]) + int(fields[14])) / CLK_TCK
    return ppid, own, reaped


def postgres_cpu(postmaster, children=None):
    """CPU seconds of the whole PostgreSQL server: the postmaster, its live children, and
    (through cutime/cstime) every child it has already reaped, e.g. pgbench's backends.
    CHILDREN, a dict, receives each live child's pid -> [what it is, CPU seconds]."""
    top = proc_stat(postmaster)
    if top is None:
        return None
    total = top[1] + top[2]
    for path in glob.glob("/proc/[0-9]*/stat"):
        pid = int(path.split("/")[2])
        st = proc_stat(pid)
        if st and st[0] == postmaster:
            total += st[1]
            if children is not None:
                children[str(pid)] = [postgres_role(pid), st[1]]
    return total


PG_DATABASES = ("orders", "vouchers", "postgres", "ceiling")


def postgres_role(pid):
    """What a PostgreSQL child process is, from its process title: the database a client
    backend serves ("postgres: USER DATABASE HOST STATE"), or "background" (checkpointer,
    WAL writer, autovacuum, ...)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return "background"
    if len(title) >= 3 and title[0] == "postgres:" and title[2] in PG_DATABASES:
        return title[2]
    return "background"


def system_cpu():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def cmd_cpu_snapshot(out, order_pid, voucher_pid, postmaster_pid, redis_pid):
    """VOUCHER_PID may be a comma-separated list (BENCH_VOUCHER_REPLICAS > 1): "voucher" is
    then the sum over the replicas, and "voucher_replicas" each one's figure."""
    busy, total = system_cpu()
    pg_children = {}
    replicas = [(proc_stat(int(p)) or (0, None))[1] for p in voucher_pid.split(",") if p]
    alive = [v for v in replicas if v is not None]
    snap = {
        "wall": time.time(),
        "order": (proc_stat(int(order_pid)) or (0, None))[1],
        "voucher": sum(alive) if alive else None,
        "voucher_replicas": replicas,
        "postgres": postgres_cpu(int(postmaster_pid), pg_children),
        "redis": (proc_stat(int(redis_pid)) or (0, None))[1],
        "system_busy": busy,
        "system_total": total,
        "postgres_children": pg_children,
    }
    write_json(out, snap)


def cpu_between(a, b):
    """CPU seconds used per component between two snapshots, and how busy the machine was."""
    if not a or not b:
        return None
    wall = b["wall"] - a["wall"]
    used = {}
    for key in ("order", "voucher", "postgres", "redis"):
        if a.get(key) is not None and b.get(key) is not None:
            used[f"{key}_cpu_s"] = round(b[key] - a[key], 3)
    # PostgreSQL by what its processes serve: each database's client backends, the
    # background processes, and the rest ("exited": the postmaster itself and children that
    # ended in between, such as psql's backends, whose time reaches it as cutime).
    ca, cb = a.get("postgres_children"), b.get("postgres_children")
    if ca is not None and cb is not None and "postgres_cpu_s" in used:
        parts = {}
        for pid, (role, cpu_b) in cb.items():
            before = ca.get(pid)
            parts[role] = parts.get(role, 0) + cpu_b - (before[1] if before and before[0] == role else 0)
        parts["exited"] = used["postgres_cpu_s"] - sum(parts.values())
        used["postgres_parts_cpu_s"] = {k: round(v, 3) for k, v in sorted(parts.items())}
    ra, rb = a.get("voucher_replicas") or [], b.get("voucher_replicas") or []
    if len(ra) > 1 and len(ra) == len(rb):
        used["voucher_replicas_cpu_s"] = [
            round(y - x, 3) if x is not None and y is not None else None for x, y in zip(ra, rb)
        ]
    busy = b["system_busy"] - a["system_busy"]
    total = b["system_total"] - a["system_total"]
    used["wall_s"] = round(wall, 3)
    used["machine_busy_pct"] = round(100 * busy / total, 1) if total > 0 else None
    # What is not a service, PostgreSQL or Redis: mostly the load generator (wrk/pgbench).
    known = sum(used.get(f"{k}_cpu_s", 0) for k in ("order", "voucher", "postgres", "redis"))
    used["other_cpu_s"] = round(busy - known, 3)
    return used


# --- service metrics -----------------------------------------------------------------------
# The services' own counters of the event path (their admin listeners' /metrics), read
# before and after the end-to-end phase: how many events each voucher replica consumed and
# with which outcome, how many acknowledgements the order service recorded, how many events
# its relay published again.

DELIVERY_COUNTERS = (
    "events_consumed_total",
    "events_rejected_total",
    "events_retried_total",
    "events_dead_lettered_total",
    "vouchers_issued_total",
    "events_published_total",
    "events_publish_retries_total",
    "events_republished_total",
    "events_acknowledged_total",
    "acks_rejected_total",
)


def scrape(url):
    """The delivery counters of one service (URL: its admin listener), by series, or None."""
    hostport = url.split("://", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=2)
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
    except OSError:
        return None
    if resp.status != 200:
        return None
    series = {}
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key.split("{", 1)[0] in DELIVERY_COUNTERS:
            series[key] = float(value)
    return series


def scrape_all(targets):
    """TARGETS: NAME=ADMIN_URL strings."""
    return {name: scrape(url) for name, url in (t.split("=", 1) for t in targets)}


def counter_sum(services, prefix, metric):
    """METRIC summed over its series and over the services whose name starts with PREFIX."""
    return sum(
        v
        for name, series in (services or {}).items()
        if name.startswith(prefix) and series
        for k, v in series.items()
        if k.split("{", 1)[0] == metric
    )


def metrics_delta(begin, end):
    """Per service and series: END - BEGIN (counters; a series absent at BEGIN started at 0)."""
    out = {}
    for name, series in (end or {}).items():
        if series is None:
            out[name] = None
            continue
        before = (begin or {}).get(name) or {}
        out[name] = {k: round(v - before.get(k, 0), 3) for k, v in sorted(series.items()) if v - before.get(k, 0)}
    return out


def cmd_metrics_snapshot(out, *targets):
    write_json(out, {"wall": time.time(), "services": scrape_all(targets)})


def cmd_settle(out, begin_json, consumed, acks, stall_s, *targets):
    """Waits until the voucher replicas (targets named voucher*) have consumed CONSUMED events
    and the order service (targets named order*) has recorded ACKS acknowledgements since the
    snapshot BEGIN_JSON, or until neither has moved for STALL_S seconds; writes the last
    snapshot to OUT, with whether it settled and how long it waited."""
    begin = (read_json(begin_json) or {}).get("services")
    consumed, acks, stall_s = float(consumed), float(acks), float(stall_s)
    t0 = time.time()
    last, last_change = None, t0
    while True:
        snap = scrape_all(targets)
        c = counter_sum(snap, "voucher", "events_consumed_total") - counter_sum(begin, "voucher", "events_consumed_total")
        k = counter_sum(snap, "order", "events_acknowledged_total") - counter_sum(begin, "order", "events_acknowledged_total")
        settled = c >= consumed and k >= acks
        if settled:
            break
        if (c, k) != last:
            last, last_change = (c, k), time.time()
        elif time.time() - last_change >= stall_s:
            sys.stderr.write(f"settle: stopped waiting at {c:.0f} of {consumed:.0f} events consumed, "
                             f"{k:.0f} of {acks:.0f} acknowledgements recorded\n")
            break
        time.sleep(0.1)
    write_json(out, {
        "wall": time.time(),
        "services": snap,
        "settled": settled,
        "waited_s": round(time.time() - t0, 3),
        "consumed": c,
        "acks": k,
    })


# --- tool output parsers -----------------------------------------------------------------


def cmd_parse_wrk(out):
    text = sys.stdin.read()
    data = None
    for line in text.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON ") :])
    if data is None:
        sys.stderr.write(text)
        sys.exit("wrk printed no BENCH_JSON line")
    # wrk counts HTTP >= 400 as status errors; socket errors are separate.
    data["errors_total"] = sum(
        int(data.get(k, 0)) for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout", "errors_status")
    )
    write_json(out, data)


def cmd_parse_pgbench(out, log_prefix):
    text = sys.stdin.read()
    data = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("tps = "):
            data["tps"] = float(line.split()[2])
        elif line.startswith("number of transactions actually processed:"):
            data["transactions"] = int(line.split(":")[1].split("/")[0])
        elif line.startswith("number of failed transactions:"):
            data["failed"] = int(line.split(":")[1].split()[0])
        elif line.startswith("latency average = "):
            data["latency_avg_ms"] = float(line.split()[3])
        elif line.startswith("number of clients:"):
            data["clients"] = int(line.split(":")[1])
        elif line.startswith("number of threads:"):
            data["threads"] = int(line.split(":")[1])
        elif line.startswith("duration:"):
            data["duration_s"] = float(line.split(":")[1].split()[0])
    data["aborted"] = "aborted" in text
    if "tps" not in data:
        sys.stderr.write(text)
        sys.exit("pgbench printed no tps line")
    # Per-transaction log lines: client_id transaction_no time_us script_no epoch epoch_us.
    latencies = []
    for path in glob.glob(log_prefix + ".*"):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    latencies.append(int(parts[2]) / 1000)
    latencies.sort()
    if latencies:
        data["p50_ms"] = round(percentile(latencies, 50), 3)
        data["p99_ms"] = round(percentile(latencies, 99), 3)
        data["max_ms"] = round(latencies[-1], 3)
    write_json(out, data)


# --- HTTP driver for fixed amounts of work --------------------------------------------------
# wrk is built for "as many requests as possible for D seconds"; for "exactly these N
# requests, then stop" it does not fit (its main thread sleeps the full duration even when
# every thread has stopped, and it calls request() once on thread 0 to validate the script,
# which silently swallows one item of a work list). This small asyncio client sends exactly
# one request per item over CONNECTIONS keep-alive connections and exits when all are done.


async def _read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(length) if length else b""
    return status, body, close


def cmd_drive(out, url, mode, work, connections, prefix="e2e"):
    """MODE create: WORK is a count of POST /orders (customer ids PREFIX-*, e2e-* unless
    given); MODE patch: WORK is a file of order ids to PATCH to sent."""
    import asyncio

    hostport = url.split("://", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    # The caller's access token (bench/run mints it), sent with every request.
    auth = b"Authorization: Bearer %s\r\n" % os.environ.get("BENCH_TOKEN", "").encode()
    if mode == "create":
        n = int(work)
        body = '{"customer_id":"' + prefix.replace("%", "%%") + '-%d","items":[{"sku":"BENCH-1","quantity":1}]}'

        def build(i):
            b = (body % (i % 1000)).encode()
            return (b"POST /orders HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s"
                    b"Content-Length: %d\r\n\r\n%s") % (hostport.encode(), auth, len(b), b)
        expected = 201
    elif mode == "patch":
        with open(work) as f:
            ids = [line.strip() for line in f if line.strip()]
        n = len(ids)
        payload = b'{"status":"sent"}'

        def build(i):
            return (b"PATCH /orders/%s/status HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s"
                    b"Content-Length: %d\r\n\r\n%s") % (ids[i].encode(), hostport.encode(), auth, len(payload), payload)
        expected = 200
    else:
        sys.exit(f"unknown drive mode {mode}")

    latencies, statuses = [], {}
    errors = {"connect": 0, "io": 0}
    state = {"next": 0}

    async def worker():
        conn = None
        while state["next"] < n:
            i = state["next"]
            state["next"] += 1
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, int(port))
                reader, writer = conn
                t = time.perf_counter()
                writer.write(build(i))
                status, _, close = await _read_response(reader)
                latencies.append(time.perf_counter() - t)
                statuses[status] = statuses.get(status, 0) + 1
                if close:
                    writer.close()
                    conn = None
            except ConnectionRefusedError:
                errors["connect"] += 1
                conn = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                # The request may or may not have been processed: counted, not retried.
                errors["io"] += 1
                conn = None
        if conn:
            conn[1].close()

    async def run():
        t0 = time.time()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(int(connections))))
        return t0, time.perf_counter() - start

    t0, duration = asyncio.run(run())
    latencies.sort()
    ok = statuses.get(expected, 0)
    write_json(out, {
        "requests": n,
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors_connect": errors["connect"],
        "errors_io": errors["io"],
        "errors_total": n - ok,
        "t0": t0,
        "duration_s": round(duration, 3),
        "rps": round(n / duration, 1) if duration > 0 else None,
        "p50_ms": round(percentile(latencies, 50) * 1000, 3) if latencies else None,
        "p90_ms": round(percentile(latencies, 90) * 1000, 3) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 3) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else None,
    })


# --- startup time -----------------------------------------------------------------------


def ready(host, port):
    try:
        conn = http.client.HTTPConnection(host, port, timeout=1)
        conn.request("GET", "/ready")
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except OSError:
        return False


def cmd_startup(out, name, url, log, cmd):
    """Starts CMD, polls URL/ready (URL: the admin listener) every 5 ms until it answers 200, then stops it with
    SIGTERM and measures how long the graceful stop takes."""
    hostport = url.split("://", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    with open(log, "ab") as logf:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
        with open(out + ".pid", "w") as f:
            f.write(str(proc.pid))
        ready_s = None
        try:
            while time.monotonic() - t0 < 30:
                if ready(host, int(port)):
                    ready_s = time.monotonic() - t0
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.005)
            rss_kb = None
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss_kb = int(line.split()[1])
            except FileNotFoundError:
                pass
        finally:
            t_stop = time.monotonic()
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stop_s = time.monotonic() - t_stop
            os.remove(out + ".pid")
    result = read_json(out, {"runs": []})
    result["runs"].append(
        {
            "ready_ms": round(ready_s * 1000, 1) if ready_s is not None else None,
            "rss_at_ready_kb": rss_kb,
            "stop_ms": round(stop_s * 1000, 1),
        }
    )
    values = [r["ready_ms"] for r in result["runs"] if r["ready_ms"] is not None]
    result["ready_ms_median"] = statistics.median(values) if values else None
    result["failed_runs"] = sum(1 for r in result["runs"] if r["ready_ms"] is None)
    write_json(out, result)
    if ready_s is None:
        sys.exit(f"{name} did not answer /ready within 30 s")


# --- end-to-end latency -------------------------------------------------------------------


def read_pairs(path):
    pairs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                key, value = line.split(",")
                pairs[key] = float(value)
    return pairs


def cmd_e2e_latency(out, orders_csv, vouchers_csv, ids_file, t0, polled_done_s, after_wait):
    """Joins order updated_at (when it became sent) with voucher issued_at per order.
    T0 is the wall clock just before the first PATCH; POLLED_DONE_S is when polling saw the
    last voucher (coarse), AFTER_WAIT the voucher count a while after that."""
    t0 = float(t0)
    with open(ids_file) as f:
        ids = {line.strip() for line in f if line.strip()}
    sent = read_pairs(orders_csv)  # order id -> updated_at epoch
    issued = read_pairs(vouchers_csv)  # order id -> issued_at epoch
    lat = sorted((issued[i] - sent[i]) * 1000 for i in ids if i in issued and i in sent)
    data = {
        "orders": len(ids),
        "orders_sent": sum(1 for i in ids if i in sent),
        "vouchers": len(issued),
        "vouchers_for_patched_orders": sum(1 for i in ids if i in issued),
        "extra_vouchers": sum(1 for i in issued if i not in ids),
        "missing_vouchers": sum(1 for i in ids if i not in issued),
        "vouchers_after_wait": int(after_wait),
        "polled_done_s": round(float(polled_done_s), 3) if polled_done_s else None,
    }
    if issued:
        last = max(issued.values())
        duration = last - t0
        data["first_patch_to_last_voucher_s"] = round(duration, 3)
        data["vouchers_per_s"] = round(len(issued) / duration, 1) if duration > 0 else None
        data["first_sent_to_last_voucher_s"] = round(last - min(sent.values()), 3) if sent else None
    if lat:
        data["latency_p50_ms"] = round(percentile(lat, 50), 2)
        data["latency_p99_ms"] = round(percentile(lat, 99), 2)
        data["latency_max_ms"] = round(lat[-1], 2)
        data["latency_mean_ms"] = round(statistics.fmean(lat), 2)
    write_json(out, data)


def cmd_projection_lag(out, issued_csv, known_csv):
    """Joins each voucher's issued_at (voucher database) with its known_at (the order
    service's copy, when its voucher.issued was recorded): how long after its issue a
    voucher became usable at checkout."""
    issued, known = read_pairs(issued_csv), read_pairs(known_csv)
    lag = sorted((known[i] - issued[i]) * 1000 for i in issued if i in known)
    write_json(out, {"vouchers": len(issued), "known": len(lag), "lag_ms": latency_summary(lag)})


# --- open loop ----------------------------------------------------------------------------
# bench/loadgen offers requests at a constant rate and writes, per request, when it was due
# (unix epoch microseconds); an order's end-to-end latency is its voucher's issued_at minus
# the due time of its PATCH, so a queue anywhere on the path (the generator's connections
# included) counts.

LOADGEN_FIELDS = ("offered_rps", "achieved_rps", "requests", "ok", "errors_total", "statuses", "failures",
                  "latency_ms", "send_lag_ms", "max_in_flight", "connections", "behind_schedule", "warnings",
                  "cpu_s", "elapsed_s")


def latency_summary(sorted_ms):
    if not sorted_ms:
        return None
    return {
        "p50": round(percentile(sorted_ms, 50), 2),
        "p90": round(percentile(sorted_ms, 90), 2),
        "p99": round(percentile(sorted_ms, 99), 2),
        "p99_9": round(percentile(sorted_ms, 99.9), 2),
        "max": round(sorted_ms[-1], 2),
        "mean": round(statistics.fmean(sorted_ms), 2),
    }


def cmd_open_e2e(out, patch_json, patch_csv, vouchers_csv, before):
    """Joins the PATCHes' due times (loadgen's CSV: k,id,due_epoch_us,latency_us,status)
    with the vouchers' issued_at (VOUCHERS_CSV: order_id,epoch, every voucher; there were
    VOUCHERS_BEFORE before the PATCHes)."""
    patch = read_json(patch_json) or {}
    due = {}
    with open(patch_csv) as f:
        next(f)
        for line in f:
            _, order_id, due_us, _, _ = line.strip().split(",")
            due[order_id] = int(due_us) / 1e6
    issued = read_pairs(vouchers_csv)
    matched = [i for i in due if i in issued]
    lat = sorted((issued[i] - due[i]) * 1000 for i in matched)
    span = max(issued[i] for i in matched) - min(due.values()) if matched else 0
    write_json(out, {
        "offered_rps": patch.get("offered_rps"),
        "orders": len(due),
        "patch": {k: patch.get(k) for k in LOADGEN_FIELDS},
        "vouchers": len(matched),
        "missing_vouchers": len(due) - len(matched),
        "extra_vouchers": len(issued) - int(before) - len(matched),
        "achieved_vouchers_per_s": round(len(matched) / span, 1) if span > 0 else None,
        "latency_ms": latency_summary(lat),
    })


def open_loop_result(o):
    """The open-loop phase's figures per offered load, or None if it did not run."""
    meta = o("open")
    if not meta:
        return None
    loads = [int(v) for v in str(meta.get("loads", "")).split()]
    post, e2e = [], []
    for pct in loads:
        r = o(f"open_post_{pct}") or {}
        post.append({"load_pct": pct, **{k: r.get(k) for k in LOADGEN_FIELDS}})
        e = o(f"open_e2e_{pct}") or {}
        create = o(f"open_e2e_create_{pct}") or {}
        e2e.append({"load_pct": pct, **e, "create": {k: create.get(k) for k in ("requests", "ok", "errors_total", "statuses")}})
    targets = []
    for name, rows, limit in (("POST /orders", post, 5), ("sent -> voucher", e2e, 25)):
        at50 = next((r for r in rows if r["load_pct"] == 50), None)
        p99 = ((at50 or {}).get("latency_ms") or {}).get("p99")
        targets.append({"name": f"{name} p99 at 50 % of the maximum", "limit_ms": limit, "p99_ms": p99,
                        "met": p99 is not None and p99 <= limit})
    return {
        "latency": "from when each request was due (t0 + k/rate) to its response (POST), or to the voucher's "
                   "issued_at (end to end); coordinated-omission corrected",
        "post_max_rps": meta.get("post_max_rps"),
        "post_max_from": meta.get("post_max_from"),
        "e2e_max_vouchers_per_s": meta.get("e2e_max_vouchers_per_s"),
        "e2e_max_from": meta.get("e2e_max_from"),
        "duration_s": meta.get("duration_s"),
        "connections": meta.get("connections"),
        "post": post,
        "end_to_end": e2e,
        "targets": targets,
    }


def open_loop_lines(ol):
    lines = [f"Open loop: constant arrival rate, latency from each request's due time; "
             f"{ol['connections']} connections, {ol['duration_s']} s per load"]
    w = "  {:<7} {:>10} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8}"

    def gen_cpu(r):
        # The generator's CPU over its run, % of one core.
        cpu, wall = r.get("cpu_s"), r.get("elapsed_s")
        return f"{100 * cpu / wall:.0f} %" if cpu is not None and wall else "n/a"

    lines.append(f"POST /orders ({fmt(ol['post_max_rps'])} req/s max, {ol['post_max_from']}):")
    lines.append(w.format("load", "offered/s", "achieved/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "gen CPU"))
    behind = False
    for r in ol["post"]:
        lat = r.get("latency_ms") or {}
        mark = "*" if r.get("behind_schedule") else ""
        behind = behind or bool(mark)
        lines.append(w.format(f"{r['load_pct']} %", fmt(r.get("offered_rps")), fmt(r.get("achieved_rps")) + mark,
                              fmt(lat.get("p50"), digits=2), fmt(lat.get("p99"), digits=2),
                              fmt(lat.get("p99_9"), digits=2), fmt(r.get("errors_total")), gen_cpu(r)))
    lines.append(f"sent -> voucher ({fmt(ol['e2e_max_vouchers_per_s'])} vouchers/s max, {ol['e2e_max_from']}):")
    lines.append(w.format("load", "offered/s", "vouchers/s", "p50 ms", "p99 ms", "p99.9 ms", "missing", "gen CPU"))
    for r in ol["end_to_end"]:
        lat = r.get("latency_ms") or {}
        mark = "*" if (r.get("patch") or {}).get("behind_schedule") else ""
        behind = behind or bool(mark)
        lines.append(w.format(f"{r['load_pct']} %", fmt(r.get("offered_rps")), fmt(r.get("achieved_vouchers_per_s")) + mark,
                              fmt(lat.get("p50"), digits=1), fmt(lat.get("p99"), digits=1),
                              fmt(lat.get("p99_9"), digits=1), fmt(r.get("missing_vouchers")),
                              gen_cpu(r.get("patch") or {})))
    if behind:
        lines.append("  * the generator fell behind its schedule (see warnings in the JSON): the latency is still "
                     "measured from the due times")
    return lines


def svg_open_loop(path, ol):
    """Latency (p50, p99, p99.9; log scale) against offered load, one panel per flow, as a
    plain SVG (written directly: no plotting library to install for one small chart)."""
    import math

    panels = [("POST /orders", ol["post"], lambda r: r.get("latency_ms"), "req/s", 5),
              ("sent \u2192 voucher", ol["end_to_end"], lambda r: r.get("latency_ms"), "orders/s", 25)]
    series = [("p50", "p50", "#1f77b4"), ("p99", "p99", "#ff7f0e"), ("p99_9", "p99.9", "#d62728")]
    pw, ph, ml, mr, mt, mb = 420, 300, 60, 20, 40, 60
    width, height = 2 * (ml + pw + mr), mt + ph + mb + 30
    esc = lambda t: str(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, (title, rows, lat_of, unit, target) in enumerate(panels):
        x0 = i * (ml + pw + mr) + ml
        values = [v for r in rows for k, _, _ in series if (v := (lat_of(r) or {}).get(k))] + [target]
        lo = math.floor(math.log10(max(min(values), 0.01)))
        hi = math.ceil(math.log10(max(values)))
        hi = hi if hi > lo else lo + 1
        xs = lambda pct: x0 + pw * pct / 100  # noqa: E731
        ys = lambda ms: mt + ph - ph * (math.log10(max(ms, 10 ** lo)) - lo) / (hi - lo)  # noqa: E731
        out.append(f'<text x="{x0 + pw / 2}" y="{mt - 20}" text-anchor="middle" font-size="14" '
                   f'font-weight="bold">{esc(title)}: latency against offered load</text>')
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
        for d in range(lo, hi + 1):
            for m in (1, 2, 5):
                v = m * 10 ** d
                if d == hi and m > 1:
                    break
                y = ys(v)
                out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" '
                           f'stroke="{"#ccc" if m == 1 else "#eee"}"/>')
                out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
                           f'fill="{"#000" if m == 1 else "#888"}">{v:g}</text>')
        out.append(f'<text x="{x0 - 45}" y="{mt + ph / 2}" text-anchor="middle" '
                   f'transform="rotate(-90 {x0 - 45} {mt + ph / 2})">latency (ms, log scale)</text>')
        for r in rows:
            x = xs(r["load_pct"])
            out.append(f'<line x1="{x:.1f}" y1="{mt}" x2="{x:.1f}" y2="{mt + ph}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{mt + ph + 16}" text-anchor="middle">{r["load_pct"]} %</text>')
            out.append(f'<text x="{x:.1f}" y="{mt + ph + 30}" text-anchor="middle" fill="#666" font-size="10">'
                       f'{fmt(r.get("offered_rps"), digits=0)}</text>')
        out.append(f'<text x="{x0 + pw / 2}" y="{mt + ph + 48}" text-anchor="middle">offered load '
                   f'(% of the closed-loop maximum; {unit} below)</text>')
        ty = ys(target)
        out.append(f'<line x1="{x0}" y1="{ty:.1f}" x2="{x0 + pw}" y2="{ty:.1f}" stroke="#2ca02c" '
                   f'stroke-dasharray="6 4"/>')
        out.append(f'<text x="{x0 + pw - 4}" y="{ty - 4:.1f}" text-anchor="end" fill="#2ca02c">'
                   f'target: p99 \u2264 {target} ms at 50 %</text>')
        for j, (k, label, colour) in enumerate(series):
            pts = [(xs(r["load_pct"]), ys(v)) for r in rows if (v := (lat_of(r) or {}).get(k))]
            if pts:
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                           + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
                out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>' for x, y in pts)
            lx = x0 + 10 + 70 * j
            out.append(f'<line x1="{lx}" y1="{mt + 14}" x2="{lx + 18}" y2="{mt + 14}" stroke="{colour}" stroke-width="2"/>')
            out.append(f'<text x="{lx + 22}" y="{mt + 18}">{label}</text>')
    out.append(f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" fill="#666" font-size="10">'
               f'latency from each request\u2019s due time (constant arrival rate, coordinated-omission corrected); '
               f'{ol["connections"]} connections, {ol["duration_s"]} s per load</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# --- report ------------------------------------------------------------------------------


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def fmt(value, unit="", digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def cmd_report(work, json_out, svg_out=None):
    o = lambda name: read_json(os.path.join(work, "out", name + ".json"))  # noqa: E731
    meta = o("meta") or {}
    post, post_ceiling = o("post") or {}, o("ceiling_insert") or {}
    post_voucher = o("post_voucher") or {}
    projection = o("projection_lag") or {}
    patch, e2e = o("patch") or {}, o("e2e") or {}
    sent_ceiling = o("ceiling_sent") or {}
    create = o("create") or {}

    # Each pgbench transaction of the sent ceiling is one order sent, relayed and vouchered.
    sent_tps = sent_ceiling.get("tps")
    ceiling_e2e = sent_tps

    resources = {}
    for svc in ("order", "voucher"):
        r = o(f"rss_{svc}") or {}
        s = o(f"startup_{svc}") or {}
        resources[svc] = {
            "rss_idle_kb": r.get("idle_kb"),
            "rss_peak_kb": r.get("peak_kb"),
            "rss_end_kb": r.get("end_kb"),
            "ready_ms": s.get("ready_ms_median"),
            "startup_runs": s.get("runs"),
        }

    cpu = {}
    for phase in ("post", "post_voucher", "ceiling_insert", "e2e", "ceiling_sent", "open_post"):
        c = cpu_between(o(f"cpu_{phase}_begin"), o(f"cpu_{phase}_end"))
        if c:
            cpu[phase] = c
    post_req = post.get("requests") or 0
    if "post" in cpu and post_req:
        cpu["post"]["order_cpu_ms_per_request"] = round(1000 * cpu["post"]["order_cpu_s"] / post_req, 3)
        cpu["post"]["postgres_cpu_ms_per_request"] = round(1000 * cpu["post"]["postgres_cpu_s"] / post_req, 3)
    if "ceiling_insert" in cpu and post_ceiling.get("transactions"):
        cpu["ceiling_insert"]["postgres_cpu_ms_per_order"] = round(
            1000 * cpu["ceiling_insert"]["postgres_cpu_s"] / post_ceiling["transactions"], 3
        )
    n_vouchers = e2e.get("vouchers") or 0
    if "e2e" in cpu and n_vouchers:
        for k in ("order", "voucher", "postgres", "redis"):
            if f"{k}_cpu_s" in cpu["e2e"]:
                cpu["e2e"][f"{k}_cpu_ms_per_order"] = round(1000 * cpu["e2e"][f"{k}_cpu_s"] / n_vouchers, 3)
        if "voucher_replicas_cpu_s" in cpu["e2e"]:
            cpu["e2e"]["voucher_replicas_cpu_ms_per_order"] = [
                round(1000 * v / n_vouchers, 3) if v is not None else None for v in cpu["e2e"]["voucher_replicas_cpu_s"]
            ]
        if "postgres_parts_cpu_s" in cpu["e2e"]:
            cpu["e2e"]["postgres_parts_cpu_ms_per_order"] = {
                k: round(1000 * v / n_vouchers, 3) for k, v in cpu["e2e"]["postgres_parts_cpu_s"].items()
            }
        if e2e.get("wal_bytes") is not None:
            cpu["e2e"]["wal_bytes_per_order"] = round(e2e["wal_bytes"] / n_vouchers)
        # The four measured components together (not "other": the load generator, and
        # whatever else runs on the machine).
        cpu["e2e"]["total_cpu_ms_per_order"] = round(
            sum(cpu["e2e"].get(f"{k}_cpu_ms_per_order", 0) for k in ("order", "voucher", "postgres", "redis")), 3
        )

    # What the services counted on the event path during the end-to-end phase.
    m_begin, m_end = o("metrics_e2e_begin"), o("metrics_e2e_end")
    delivery = None
    if m_begin and m_end:
        per_service = metrics_delta(m_begin.get("services"), m_end.get("services"))
        sv = {name: d for name, d in per_service.items() if name.startswith("voucher")}
        so = {name: d for name, d in per_service.items() if name.startswith("order")}

        def outcomes(series, metric):
            return {k.split('outcome="', 1)[1].rstrip('"}'): v for k, v in (series or {}).items()
                    if k.startswith(metric + "{") and 'outcome="' in k}

        delivery = {
            "transport": meta.get("config", {}).get("event_transport"),
            "voucher_replicas": meta.get("config", {}).get("voucher_replicas", 1),
            "consumed_by_replica": {name: outcomes(d, "events_consumed_total") for name, d in sv.items()},
            "consumed_total": counter_sum(per_service, "voucher", "events_consumed_total"),
            "rejected_total": counter_sum(per_service, "voucher", "events_rejected_total"),
            "retried_total": counter_sum(per_service, "voucher", "events_retried_total"),
            "dead_lettered_total": counter_sum(per_service, "voucher", "events_dead_lettered_total"),
            "acknowledged": outcomes(so.get("order"), "events_acknowledged_total"),
            "acknowledged_total": counter_sum(per_service, "order", "events_acknowledged_total"),
            "published_total": counter_sum(per_service, "order", "events_published_total"),
            "republished_total": counter_sum(per_service, "order", "events_republished_total"),
            "publish_retries_total": counter_sum(per_service, "order", "events_publish_retries_total"),
            "settled": m_end.get("settled"),
            "settle_waited_s": m_end.get("waited_s"),
            "services": per_service,
        }
    if "ceiling_sent" in cpu and sent_ceiling.get("transactions"):
        cpu["ceiling_sent"]["postgres_cpu_ms_per_order"] = round(
            1000 * cpu["ceiling_sent"]["postgres_cpu_s"] / sent_ceiling["transactions"], 3
        )

    checks = []

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})

    expected = meta.get("config", {}).get("e2e_orders")
    # BENCH_PHASES=e2e runs the end-to-end phase only: the other phases' checks do not apply.
    phases = meta.get("config", {}).get("phases", "all")
    full = phases == "all"
    # BENCH_PHASES=open runs the closed-loop POST and end-to-end phases only for the maxima
    # it was not given.
    has_post = full or bool(post)
    has_e2e = phases != "open" or bool(create)
    if has_post:
        check("POST /orders: no errors", post and post.get("errors_total") == 0,
              f"{post.get('errors_total')} errors (status>=400 {post.get('errors_status')}) in {post.get('requests')} requests")
        check("POST /orders: requests served", post.get("requests", 0) > 0, f"{post.get('requests')} requests")
        if post_voucher:
            check("POST /orders with a voucher: no errors", post_voucher.get("errors_total") == 0,
                  f"{post_voucher.get('errors_total')} errors (status>=400 {post_voucher.get('errors_status')}) "
                  f"in {post_voucher.get('requests')} requests")
            check("POST /orders with a voucher: every voucher taken was recorded by the voucher service",
                  post_voucher.get("usages_recorded", 0) >= post_voucher.get("vouchers_held", 1) > 0,
                  f"{post_voucher.get('usages_recorded')} recorded of {post_voucher.get('vouchers_held')} held")

    if has_e2e and projection:
        check("e2e: the order service knows every voucher issued", projection.get("known") == projection.get("vouchers"),
              f"{projection.get('known')} of {projection.get('vouchers')} known")
    if has_e2e:
        check("e2e: orders created", create.get("ok") == expected and create.get("errors_total") == 0,
              f"{create.get('ok')} of {expected} created, statuses {create.get('statuses')}")
        check("e2e: every PATCH answered 200", patch.get("ok") == expected and patch.get("errors_total") == 0,
              f"{patch.get('ok')} of {expected} ok, statuses {patch.get('statuses')}, "
              f"{patch.get('errors_io')} I/O errors")
        check("e2e: exactly one voucher per order", e2e.get("vouchers") == expected and e2e.get("missing_vouchers") == 0,
              f"{e2e.get('vouchers')} vouchers for {expected} orders, {e2e.get('missing_vouchers')} missing")
        check("e2e: no extra vouchers", e2e.get("extra_vouchers") == 0 and e2e.get("vouchers_after_wait") == e2e.get("vouchers"),
              f"{e2e.get('extra_vouchers')} for other orders, {e2e.get('vouchers_after_wait')} vouchers after waiting")
    if full:
        check("ceiling: pgbench without failures",
              all(r.get("failed", 1) == 0 and r.get("aborted") is False for r in (post_ceiling, sent_ceiling)),
              ", ".join(f"{n} {r.get('failed')} failed{' (aborted)' if r.get('aborted') is not False else ''}"
                        for n, r in (("insert", post_ceiling), ("sent", sent_ceiling))))

    # Observations that do not fail the run but point at the services.
    notes = []
    if e2e.get("relay_rounds_over_batch_limit"):
        notes.append(f"the order relay claimed more than its batch limit ({e2e.get('relay_batch_limit')}) in "
                     f"{e2e['relay_rounds_over_batch_limit']} of {e2e.get('relay_rounds')} rounds "
                     f"(largest {e2e.get('relay_batch_max')} rows)")
    if delivery and (delivery["rejected_total"] or delivery["dead_lettered_total"] or delivery["republished_total"]):
        notes.append(f"event path: {delivery['rejected_total']:.0f} events rejected, "
                     f"{delivery['dead_lettered_total']:.0f} dead-lettered, "
                     f"{delivery['republished_total']:.0f} published again by the relay")
    if delivery and delivery.get("settled") is False:
        notes.append("the replicas had not consumed every event (or the order service had not recorded every "
                     "acknowledgement) when the CPU window closed: see end_to_end.delivery")
    ol = open_loop_result(o)
    if ol:
        for r in ol["post"]:
            check(f"open loop: POST /orders at {r['load_pct']} % without errors",
                  r.get("requests") and r.get("errors_total") == 0,
                  f"{r.get('ok')} of {r.get('requests')} ok, statuses {r.get('statuses')}, failures {r.get('failures')}")
        for r in ol["end_to_end"]:
            p, c = r.get("patch") or {}, r.get("create") or {}
            check(f"open loop: end to end at {r['load_pct']} %: orders created, every PATCH 200, one voucher each",
                  r.get("orders") and c.get("errors_total") == 0 and p.get("errors_total") == 0
                  and r.get("vouchers") == r.get("orders") and r.get("missing_vouchers") == 0
                  and r.get("extra_vouchers") == 0,
                  f"{c.get('ok')} of {c.get('requests')} created, {p.get('ok')} of {p.get('requests')} PATCHes ok "
                  f"(statuses {p.get('statuses')}, failures {p.get('failures')}), {r.get('vouchers')} vouchers for "
                  f"{r.get('orders')} orders, {r.get('missing_vouchers')} missing, {r.get('extra_vouchers')} extra")
        for r in ol["post"] + [dict(e, **(e.get("patch") or {})) for e in ol["end_to_end"]]:
            for warning in r.get("warnings") or []:
                notes.append(f"open loop at {r['load_pct']} %: the load generator {warning}")
    if full:
        check("ceiling: pool of orders not exhausted", not sent_ceiling.get("pool_exhausted", True),
              f"{sent_ceiling.get('transactions')} of {sent_ceiling.get('pool')} pool orders used")
        for svc in ("order", "voucher"):
            check(f"{svc}: restarts became ready", resources[svc]["ready_ms"] is not None and not (o(f"startup_{svc}") or {}).get("failed_runs"),
                  f"median {resources[svc]['ready_ms']} ms")

    result = {
        **{k: meta[k] for k in ("timestamp", "mode", "git", "machine", "tools", "config", "postgres_settings", "binaries") if k in meta},
        "post_orders": {
            "service": post,
            "ceiling": post_ceiling,
            "ratio_rps_to_ceiling": ratio(post.get("rps"), post_ceiling.get("tps")),
            "with_voucher": post_voucher,
            "ratio_with_voucher_to_without": ratio(post_voucher.get("rps"), post.get("rps")),
            # The target of checkout with a voucher: at least 0.8x the orders per second of
            # checkout without one, in the same run. Reported, not a check.
            "with_voucher_target_met": None if not post_voucher else
            (ratio(post_voucher.get("rps"), post.get("rps")) or 0) >= 0.8,
        },
        "end_to_end": {
            "create": create,
            "patch": patch,
            "result": e2e,
            "ceiling": {**sent_ceiling, "orders_per_s": ceiling_e2e},
            "ratio_vouchers_per_s_to_ceiling": ratio(e2e.get("vouchers_per_s"), ceiling_e2e),
            "delivery": delivery,
            "projection_lag": projection,
        },
        "open_loop": ol,
        "resources": resources,
        "cpu": cpu,
        "checks": checks,
        "notes": notes,
        "ok": all(c["ok"] for c in checks),
    }
    write_json(json_out, result)

    # --- the table ---------------------------------------------------------------------
    cfg = meta.get("config", {})
    m = meta.get("machine", {})
    lines = []
    target_lines = []
    add = lines.append
    add("")
    add(f"Benchmark ({meta.get('mode')}) {meta.get('timestamp')}  commit {meta.get('git', {}).get('commit', '?')[:12]}"
        f"{' (dirty)' if meta.get('git', {}).get('dirty') else ''}")
    add(f"Machine: {m.get('nproc')} CPUs, {m.get('cpu_model')}, {fmt(m.get('mem_total_mb'))} MB RAM; "
        f"{m.get('busy_pct_before_start')}% busy before the run (load average {m.get('loadavg_at_start')})")
    stale = [svc for svc, b in meta.get("binaries", {}).items() if b.get("older_than_commit")]
    if stale:
        add(f"Binaries: {', '.join(stale)} built {meta['binaries'][stale[0]]['modified']}, before the commit "
            f"(BENCH_SKIP_BUILD=1?): the figures are for that older build")
    add(f"Load: {cfg.get('connections')} connections, {cfg.get('threads')} threads, {cfg.get('duration_s')} s per throughput run")
    if phases == "open":
        add("Open-loop phase only (BENCH_PHASES=open), after the closed-loop runs its maxima come from")
    elif not full or cfg.get("voucher_replicas", 1) != 1:
        add(f"End to end only: {cfg.get('event_transport')}, {cfg.get('voucher_replicas')} voucher replica(s), "
            f"{cfg.get('e2e_warmup_orders')} warm-up orders, CPU window "
            f"{'until the event path is quiet' if cfg.get('e2e_settle') == 1 else 'until the last voucher'}"
            if not full else f"{cfg.get('voucher_replicas')} voucher replicas, {cfg.get('event_transport')}")
    w = "{:<44} {:>16} {:>16} {:>8}"
    if has_post or has_e2e:
        add("")
        add(w.format("", "service", "ceiling (pgbench)", "ratio"))
    if has_post:
        add(w.format("POST /orders  throughput (req/s)", fmt(post.get("rps")), fmt(post_ceiling.get("tps")),
                     fmt(result["post_orders"]["ratio_rps_to_ceiling"], digits=2)))
        add(w.format("POST /orders  latency p50 / p99 (ms)",
                     f"{fmt(post.get('p50_ms'), digits=2)} / {fmt(post.get('p99_ms'), digits=2)}",
                     f"{fmt(post_ceiling.get('p50_ms'), digits=2)} / {fmt(post_ceiling.get('p99_ms'), digits=2)}", ""))
        add(w.format("POST /orders  requests / errors", f"{fmt(post.get('requests'))} / {fmt(post.get('errors_total'))}",
                     f"{fmt(post_ceiling.get('transactions'))} / {fmt(post_ceiling.get('failed'))}", ""))
        if post_voucher:
            add(w.format("  with a voucher: throughput (req/s)", fmt(post_voucher.get("rps")), "",
                         fmt(result["post_orders"]["ratio_with_voucher_to_without"], digits=2)))
            add(w.format("  with a voucher: latency p50 / p99 (ms)",
                         f"{fmt(post_voucher.get('p50_ms'), digits=2)} / {fmt(post_voucher.get('p99_ms'), digits=2)}", "", ""))
            met = result["post_orders"]["with_voucher_target_met"]
            target_lines.append(f"[target {'met' if met else 'missed'}] POST /orders with a voucher at least 0.8x "
                                f"without: {fmt(post_voucher.get('rps'))} / {fmt(post.get('rps'))} req/s = "
                                f"{fmt(result['post_orders']['ratio_with_voucher_to_without'], digits=2)}")
    if has_e2e:
        add(w.format(f"End to end: {fmt(expected)} orders -> vouchers (per s)", fmt(e2e.get("vouchers_per_s")),
                     fmt(ceiling_e2e), fmt(result["end_to_end"]["ratio_vouchers_per_s_to_ceiling"], digits=2)))
        add(w.format("  first PATCH -> last voucher (s)", fmt(e2e.get("first_patch_to_last_voucher_s"), digits=2), "", ""))
        add(w.format("  PATCH throughput (req/s), p50 / p99 (ms)", fmt(patch.get("rps")),
                     f"{fmt(patch.get('p50_ms'), digits=2)} / {fmt(patch.get('p99_ms'), digits=2)}", ""))
        add(w.format("  sent -> voucher latency p50 / p99 (ms)",
                     f"{fmt(e2e.get('latency_p50_ms'), digits=1)} / {fmt(e2e.get('latency_p99_ms'), digits=1)}", "", ""))
        lag = projection.get("lag_ms") or {}
        if lag:
            add(w.format("  voucher issued -> usable at checkout p50 / p99 / max (ms)",
                         f"{fmt(lag.get('p50'), digits=1)} / {fmt(lag.get('p99'), digits=1)} / {fmt(lag.get('max'), digits=1)}",
                         "", ""))
        if full:
            add(w.format("  per-order SQL latency p50 / p99 (ms)", "",
                         f"{fmt(sent_ceiling.get('p50_ms'), digits=2)} / {fmt(sent_ceiling.get('p99_ms'), digits=2)}", ""))
        add(w.format("  relay rows per round: mean / max", f"{fmt(e2e.get('relay_batch_mean'))} / {fmt(e2e.get('relay_batch_max'))}",
                     f"every {fmt(sent_ceiling.get('relay_every'))} orders", ""))
        add(w.format("  outbox rows unpublished at the end", fmt(e2e.get("outbox_unpublished_at_end")),
                     fmt(sent_ceiling.get("unpublished_at_end")), ""))
        add(w.format("  vouchers / missing / extra",
                     f"{fmt(e2e.get('vouchers'))} / {fmt(e2e.get('missing_vouchers'))} / {fmt(e2e.get('extra_vouchers'))}", "", ""))
        if delivery:
            add(f"  events consumed per voucher replica ({delivery['transport']}): " + "; ".join(
                f"{name} " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(oc.items()))
                for name, oc in sorted(delivery["consumed_by_replica"].items())))
            add(f"  order service: {delivery['acknowledged_total']:,.0f} acknowledgements recorded, "
                f"{delivery['published_total']:,.0f} events delivered without one (streams), "
                f"{delivery['republished_total']:,.0f} published again")
    if full:
        add("")
        w2 = "{:<10} {:>14} {:>14} {:>16}"
        add(w2.format("service", "RSS idle (MB)", "RSS peak (MB)", "start->ready (ms)"))
        for svc in ("order", "voucher"):
            r = resources[svc]
            mb = lambda kb: round(kb / 1024, 1) if kb else None  # noqa: E731
            add(w2.format(svc, fmt(mb(r["rss_idle_kb"])), fmt(mb(r["rss_peak_kb"])), fmt(r["ready_ms"])))
    if ol:
        add("")
        lines.extend(open_loop_lines(ol))
        for t in ol["targets"]:
            add(f"[target {'met' if t['met'] else 'missed'}] {t['name']}: {fmt(t['p99_ms'], digits=2)} ms "
                f"(limit {t['limit_ms']} ms)")
        if svg_out:
            svg_open_loop(svg_out, ol)
            add(f"Latency against offered load: {svg_out}")
    lines.extend(target_lines)
    add("")
    add("CPU seconds per phase (evidence for where time goes):")
    w3 = "{:<16} {:>7} {:>7} {:>8} {:>9} {:>7} {:>7} {:>6}"
    add(w3.format("phase", "wall", "order", "voucher", "postgres", "redis", "other", "busy%"))
    for phase, c in cpu.items():
        add(w3.format(phase, fmt(c.get("wall_s"), digits=1), fmt(c.get("order_cpu_s"), digits=1),
                      fmt(c.get("voucher_cpu_s"), digits=1), fmt(c.get("postgres_cpu_s"), digits=1),
                      fmt(c.get("redis_cpu_s"), digits=1), fmt(c.get("other_cpu_s"), digits=1),
                      fmt(c.get("machine_busy_pct"), digits=0)))
    e = cpu.get("e2e") or {}
    if e.get("total_cpu_ms_per_order") is not None:
        us = lambda v: fmt(round(1000 * v) if v is not None else None)  # noqa: E731
        replicas = e.get("voucher_replicas_cpu_ms_per_order")
        add(f"e2e CPU per voucher (µs): order {us(e.get('order_cpu_ms_per_order'))}, "
            f"voucher {us(e.get('voucher_cpu_ms_per_order'))}"
            + (f" ({' + '.join(us(v) for v in replicas)})" if replicas else "")
            + f", postgres {us(e.get('postgres_cpu_ms_per_order'))}"
            + (" (" + ", ".join(f"{k} {us(v)}" for k, v in e["postgres_parts_cpu_ms_per_order"].items()) + ")"
               if e.get("postgres_parts_cpu_ms_per_order") else "")
            + f", redis {us(e.get('redis_cpu_ms_per_order'))}; "
            f"total {us(e.get('total_cpu_ms_per_order'))}; WAL {fmt(e.get('wal_bytes_per_order'))} bytes")
    add("")
    for c in checks:
        add(f"[{'ok' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}")
    for n in notes:
        add(f"[note] {n}")
    add("")
    add(f"JSON: {json_out}")
    print("\n".join(lines))
    sys.exit(0 if result["ok"] else 1)


# --- run metadata -------------------------------------------------------------------------


def sh(*cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def cmd_meta(out, repo, bin_dir, psql, *config):
    """Machine, tools, git and run configuration. CONFIG is key=value pairs; PSQL is the
    psql command line (one string) used to read PostgreSQL's settings."""
    cpu_model, mem_kb = None, None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    # Other work on the machine skews every figure: note how busy it was just before.
    busy0, total0 = system_cpu()
    time.sleep(1)
    busy1, total1 = system_cpu()
    with open("/proc/loadavg") as f:
        loadavg = [float(v) for v in f.read().split()[:3]]
    settings = {}
    for name in ("server_version", "shared_buffers", "max_connections", "synchronous_commit", "fsync",
                 "wal_level", "max_wal_size", "checkpoint_timeout"):
        settings[name] = sh(*psql.split(), "-c", f"SHOW {name}")
    binaries = {}
    for svc in ("order", "voucher"):
        path = os.path.join(bin_dir, svc)
        if os.path.exists(path):
            binaries[svc] = {
                "path": path,
                "modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(path))),
                "size_bytes": os.path.getsize(path),
            }
    # With BENCH_SKIP_BUILD=1 the binaries may predate the commit being reported.
    commit_time = sh("git", "-C", repo, "log", "-1", "--format=%ct")
    for info in binaries.values():
        if commit_time:
            info["older_than_commit"] = os.path.getmtime(info["path"]) < int(commit_time)
    cfg = {}
    for kv in config:
        key, value = kv.split("=", 1)
        cfg[key] = int(value) if value.lstrip("-").isdigit() else value
    write_json(out, {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": cfg.pop("mode", None),
        "git": {
            "commit": sh("git", "-C", repo, "rev-parse", "HEAD"),
            "branch": sh("git", "-C", repo, "rev-parse", "--abbrev-ref", "HEAD"),
            # Uncommitted changes to tracked files: the binaries may not match the commit.
            "dirty": bool(dirty),
        },
        "machine": {
            "nproc": os.cpu_count(),
            "cpu_model": cpu_model,
            "mem_total_mb": round(mem_kb / 1024) if mem_kb else None,
            "kernel": os.uname().release,
            "loadavg_at_start": loadavg,
            "busy_pct_before_start": round(100 * (busy1 - busy0) / (total1 - total0), 1),
        },
        "tools": {
            "wrk": sh("wrk", "-v"),
            "pgbench": sh(os.path.join(os.environ.get("PG_BIN", ""), "pgbench"), "--version"),
            "postgres": settings.get("server_version"),
            "redis_server": sh("redis-server", "--version"),
            "rustc": sh("rustc", "--version"),
            "python": sys.version.split()[0],
        },
        "config": cfg,
        "postgres_settings": settings,
        "binaries": binaries,
    })


def cmd_merge(path, *pairs):
    """Adds key=value pairs (numbers where they parse) to a JSON object file."""
    data = read_json(path, {})
    for kv in pairs:
        key, value = kv.split("=", 1)
        try:
            data[key] = int(value)
        except ValueError:
            try:
                data[key] = float(value)
            except ValueError:
                data[key] = {"true": True, "false": False}.get(value, value)
    write_json(path, data)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd, rest = args[0], args[1:]
    if cmd == "cpu-snapshot":
        cmd_cpu_snapshot(*rest)
    elif cmd == "parse-wrk":
        cmd_parse_wrk(*rest)
    elif cmd == "parse-pgbench":
        cmd_parse_pgbench(*rest)
    elif cmd == "startup":
        sep = rest.index("--")
        cmd_startup(*rest[:sep], rest[sep + 1 :])
    elif cmd == "drive":
        cmd_drive(*rest)
    elif cmd == "metrics-snapshot":
        cmd_metrics_snapshot(*rest)
    elif cmd == "settle":
        cmd_settle(*rest)
    elif cmd == "e2e-latency":
        cmd_e2e_latency(*rest)
    elif cmd == "projection-lag":
        cmd_projection_lag(*rest)
    elif cmd == "open-e2e":
        cmd_open_e2e(*rest)
    elif cmd == "meta":
        cmd_meta(*rest)
    elif cmd == "merge":
        cmd_merge(*rest)
    elif cmd == "report":
        cmd_report(*rest)
    else:
        sys.exit(f"unknown subcommand {cmd}\n{__doc__}")


if __name__ == "__main__":
    main()
