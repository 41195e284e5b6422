"""`make bench`: PeaceCase at 10,000 disputes against a raw-SQL limit, in the same run.

    .venv/bin/python bench/run.py [--quick] [--round-seconds N] [--keep-db]

1. a fresh database ``peacecase_bench`` (dropped and recreated) on the server of DATABASE_URL, or
   on the embedded PostgreSQL (peacecase/devservers.py); Redis db 9 of REDIS_URL or the embedded Redis;
2. migrate, then the scale data (bench/loader.py), timed;
3. gunicorn with PeaceCase (2 workers, production settings, DEBUG off) and gunicorn with the limit
   (bench/limit_app.py: one SQL query a request, JSON built by PostgreSQL), both on 127.0.0.1;
4. wrk (installed with apt-get when missing; a threaded Python client otherwise) at 8 connections,
   rounds alternating PeaceCase / limit / PeaceCase / limit per endpoint; every response checked;
5. queries per request at page sizes 10 and 200, the reminder dispatcher (claim of 500 among all
   reminders, its plan, deliveries per second with one Celery worker), the UCDP importer, and
   the web workers' peak RSS;
6. bench/results/latest.json and latest.md (quick.json and quick.md with --quick), and the table on stdout.

Traffic goes to 127.0.0.1 only, each round is bounded in time, and every process started here is
stopped on the way out (also on Ctrl-C or an error).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import loader  # noqa: E402

PY = sys.executable
DB_NAME = "peacecase_bench"
REDIS_DB = 9
RESULTS = BENCH / "results"
UCDP_CSV = ROOT.parent / "shared" / "data" / "ucdp-peace-agreements-v22.1.csv"
CONNECTIONS = 8
# The API's contract for a disputes list row (apps/api/disputes.py DisputeListRow).
DISPUTE_ROW_KEYS = {
    "id", "reference", "title", "stage", "risk", "confidentiality", "process_format", "track", "countries",
    "dispute_types", "opened_on", "closed_on", "updated_at", "parties", "lead_mediator",
}
TARGETS = {
    "api_ratio": 0.6, "p99_ms": 250, "page_p50_ms": 150, "claim_ms": 20, "deliveries_per_s": 200,
    "rss_mb": 200, "load_s": 120,
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- processes ---------------------------------------------------------------------------------------


class Processes:
    """Every child started here, each in its own process group, stopped in reverse order."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str], env: dict, log_path: Path) -> subprocess.Popen:
        out = log_path.open("w")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10) -> None:
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                log(f"stopping {name} (pid {proc.pid})")
            self.stop(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


def worker_pids(master: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            text = status.read_text()
            if re.search(rf"^PPid:\s+{master}$", text, re.M):
                pids.append(int(status.parent.name))
    return pids


def proc_kb(pid: int, field: str) -> int | None:
    with contextlib.suppress(OSError):
        m = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
        return int(m.group(1)) if m else None
    return None


# --- services and the database ------------------------------------------------------------------------


def services() -> dict:
    """DSNs for the benchmark database and Redis db 9, on the configured or the embedded servers."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if database_url and redis_url:
        parts = urlsplit(database_url)
        bench_url = urlunsplit(parts._replace(scheme="postgresql", path=f"/{DB_NAME}"))
        admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        r = urlsplit(redis_url)
        if r.scheme == "unix":
            bench_redis = urlunsplit(r._replace(query=f"db={REDIS_DB}"))
        else:
            bench_redis = urlunsplit(r._replace(path=f"/{REDIS_DB}"))
        return {"db": bench_url, "admin": admin_url, "redis": bench_redis, "where": "DATABASE_URL / REDIS_URL"}
    sys.path.insert(0, str(ROOT))
    from peacecase import devservers

    emb = devservers.ensure()
    host = quote(emb.db_host, safe="/")
    return {
        "db": f"postgresql://postgres@/{DB_NAME}?host={host}",
        "admin": f"postgresql://postgres@/postgres?host={host}",
        "redis": f"unix://{emb.redis_socket}?db={REDIS_DB}",
        "where": "embedded PostgreSQL and Redis (var/)",
    }


def recreate_database(admin_url: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def drop_database(admin_url: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    conn.close()


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # db 9 is the benchmark's own


def django_env(svc: dict, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PEACECASE_"))}
    env.update({
        "DATABASE_URL": svc["db"],
        "REDIS_URL": svc["redis"],
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": svc["secret"],
        # Plain HTTP on loopback: no redirect to https, cookies not marked Secure.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        # No 429s during the rounds; the throttle (a sliding-window counter) costs the same at any rate.
        "PEACECASE_API_RATE_KEY": "1000000/s",
        "PEACECASE_API_RATE_USER": "1000000/s",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def manage(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def djtask(env: dict, task: str, arg: dict | None = None, timeout: float = 300) -> dict:
    proc = subprocess.run([PY, str(BENCH / "djtasks.py"), task, json.dumps(arg or {})], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"djtasks {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load_data(svc: dict, env: dict, factor: float) -> dict:
    """The benchmark volume, by bench/loader.py (COPY into every table the rounds read)."""
    conn = psycopg2.connect(svc["db"])
    try:
        result = loader.load(conn, factor=factor, log=log)
    finally:
        conn.close()
    return {"by": "bench/loader.py", "seconds": result["seconds"], "insert_seconds": result["insert_seconds"],
            "analyze_seconds": result["analyze_seconds"], "parts": result["parts"], "counts": table_counts(svc["db"])}


def migrate(env: dict) -> float:
    t0 = time.perf_counter()
    proc = manage(env, "migrate", "--no-input", "-v0")
    if proc.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{proc.stderr[-3000:]}")
    return round(time.perf_counter() - t0, 2)


COUNT_TABLES = {
    "disputes": "disputes_dispute", "parties": "parties_party", "sessions": "mediation_sessions_mediationsession",
    "notes": "mediation_sessions_sessionnote", "proposals": "negotiations_proposal",
    "agreements": "agreements_agreement", "provisions": "agreements_provision", "reminders": "reminders_reminder",
}


def sql_rows(dsn: str, sql: str, params: list | None = None) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or [])
            return cur.fetchall()
    finally:
        conn.close()


def table_counts(dsn: str) -> dict:
    return {k: sql_rows(dsn, f"SELECT count(*) FROM {t}")[0][0] for k, t in COUNT_TABLES.items()}


def org_id(dsn: str, slug: str) -> int | None:
    rows = sql_rows(dsn, "SELECT id FROM accounts_organisation WHERE slug = %s", [slug])
    return rows[0][0] if rows else None


def pick_dispute(dsn: str, org: int) -> int:
    """An open standard dispute of the organisation with the most sessions, provisions among them."""
    rows = sql_rows(dsn, """
        SELECT d.id FROM disputes_dispute d
        WHERE d.organisation_id = %s AND d.confidentiality = 'standard' AND d.stage <> 'closed'
          AND EXISTS (SELECT 1 FROM agreements_agreement a JOIN agreements_provision v ON v.agreement_id = a.id
                      WHERE a.dispute_id = d.id)
        ORDER BY (SELECT count(*) FROM mediation_sessions_mediationsession s WHERE s.dispute_id = d.id) DESC, d.id DESC
        LIMIT 1""", [org])
    return rows[0][0]


# --- HTTP checks ----------------------------------------------------------------------------------------


def get(port: int, path: str, headers: dict) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    finally:
        conn.close()


def check_api(port: int, path: str, headers: dict, keys: set[str] | None = None) -> dict:
    """Status 200, a JSON page with a non-empty ``results`` list of objects (with ``keys``)."""
    status, body, _h = get(port, path, headers)
    if status != 200:
        raise AssertionError(f"{path} on :{port} answered {status}: {body[:300]!r}")
    data = json.loads(body)
    results = data.get("results") if isinstance(data, dict) else None
    if not results or not isinstance(results[0], dict):
        raise AssertionError(f"{path} on :{port}: no results in {body[:300]!r}")
    if keys and not keys <= set(results[0]):
        raise AssertionError(f"{path} on :{port}: row lacks {sorted(keys - set(results[0]))}")
    return {"bytes": len(body), "rows": len(results), "keys": sorted(results[0])}


def check_page(port: int, path: str, headers: dict, marker: str) -> dict:
    status, body, h = get(port, path, headers)
    if status != 200 or marker.encode() not in body or "text/html" not in h.get("Content-Type", ""):
        raise AssertionError(f"{path} on :{port} answered {status} without {marker!r}: {body[:200]!r}")
    return {"bytes": len(body)}


def login(port: int, email: str, password: str) -> str:
    """Sign in through the login form like a browser; returns the Cookie header."""
    status, body, h = get(port, "/accounts/login/", {})
    cookies = _cookies(h)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None or "csrftoken" not in cookies:
        raise RuntimeError(f"login page: {status}")
    form = f"username={quote(email)}&password={quote(password)}&csrfmiddlewaretoken={token.group(1).decode()}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
        "Referer": f"http://127.0.0.1:{port}/accounts/login/",
    })
    resp = conn.getresponse()
    resp.read()
    cookies.update(_cookies(dict(resp.getheaders()), raw=resp.headers.get_all("Set-Cookie")))
    conn.close()
    if resp.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login failed: {resp.status}")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def _cookies(headers: dict, raw: list[str] | None = None) -> dict:
    out = {}
    for line in raw or [headers.get("Set-Cookie", "")]:
        m = re.match(r"\s*([^=;\s]+)=([^;]*)", line or "")
        if m:
            out[m.group(1)] = m.group(2)
    return out


# --- load generation -----------------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("installing wrk (apt-get install -y wrk)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
            if shutil.which("wrk"):
                break
    return shutil.which("wrk")


def run_wrk(wrk: str, port: int, path: str, headers: dict, marker: str, seconds: float) -> dict:
    cmd = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, int(seconds))}s", "--timeout", "10s", "--latency",
           "-s", str(BENCH / "check.lua")]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd += [f"http://127.0.0.1:{port}{path}", "--", marker]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    out = proc.stdout
    m1 = re.search(r"BENCH bad=(\d+) checked=(\d+) requests=(\d+) duration_us=(\d+) socket_errors=(\d+)", out)
    m2 = re.search(r"BENCH p50=(\d+) p95=(\d+) p99=(\d+) max=(\d+)", out)
    if not (m1 and m2):
        raise RuntimeError(f"wrk output not understood:\n{out}\n{proc.stderr}")
    bad, checked, requests, duration_us, socket_errors = map(int, m1.groups())
    p50, p95, p99, pmax = (int(x) / 1000 for x in m2.groups())
    return {"rps": requests / (duration_us / 1e6), "requests": requests, "bad": bad, "checked": checked,
            "socket_errors": socket_errors, "p50": p50, "p95": p95, "p99": p99, "max": pmax, "tool": "wrk"}


def run_python_load(port: int, path: str, headers: dict, marker: str, seconds: float) -> dict:
    """The fallback load generator: CONNECTIONS threads, keep-alive, every response checked."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        wrong = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200 and body and marker.encode() in body
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append((time.perf_counter() - t0) * 1000)
            wrong += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            bad[0] += wrong

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] if latencies else 0.0

    return {"rps": len(latencies) / elapsed, "requests": len(latencies), "bad": bad[0], "checked": len(latencies),
            "socket_errors": 0, "p50": pct(50), "p95": pct(95), "p99": pct(99), "max": pct(100), "tool": "python"}


# --- the run -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data and short rounds (< 2 minutes)")
    parser.add_argument("--round-seconds", type=float, help="seconds per load round (default 12, quick 2)")
    parser.add_argument("--keep-db", action="store_true",
                        help="leave peacecase_bench and Redis db 9 in place afterwards (for profiling)")
    args = parser.parse_args()
    factor = 0.1 if args.quick else 1.0
    round_s = args.round_seconds or (2.0 if args.quick else 12.0)
    started = time.monotonic()
    procs = Processes()
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    results: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick, "scale": factor, "round_seconds": round_s, "connections": CONNECTIONS,
        "machine": machine(), "endpoints": {}, "targets": TARGETS, "notes": [],
    }
    svc: dict = {}
    try:
        svc = services()
        svc["secret"] = secrets.token_urlsafe(50)
        results["services"] = svc["where"]
        log(f"services: {svc['where']}; database {DB_NAME}, Redis db {REDIS_DB}")
        env = django_env(svc)
        recreate_database(svc["admin"])
        flush_redis(svc["redis"])
        results["migrate_seconds"] = migrate(env)
        log(f"migrated in {results['migrate_seconds']} s; loading the data (scale {factor})")
        results["load"] = load_data(svc, env, factor)
        log(f"loaded by {results['load']['by']} in {results['load']['seconds']} s: {results['load']['counts']}")
        static = manage(env, "collectstatic", "--no-input", "-v0")
        if static.returncode != 0:
            raise RuntimeError(f"collectstatic failed:\n{static.stderr[-2000:]}")

        org = org_id(svc["db"], loader.BENCH_ORG)
        password = secrets.token_urlsafe(16)
        djtask({**env, "BENCH_PASSWORD": password}, "prepare")
        key_proc = manage(env, "create_api_key", "--organisation", loader.BENCH_ORG, "--name", "bench")
        if key_proc.returncode != 0:
            raise RuntimeError(f"create_api_key failed: {key_proc.stderr}")
        api_key = key_proc.stdout.strip().splitlines()[-1].strip()
        dispute = pick_dispute(svc["db"], org)
        results["dispute_id"] = dispute

        app_port, limit_port = free_port(), free_port()
        app = procs.start("PeaceCase gunicorn", [
            PY, "-m", "gunicorn", "peacecase.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{app_port}",
            "--error-logfile", "-", "--log-level", "warning", "--timeout", "60",
        ], env, logs / "app.log")
        limit = procs.start("limit gunicorn", [
            PY, "-m", "gunicorn", "limit_app:app", "-w", "2", "-b", f"127.0.0.1:{limit_port}",
            "--chdir", str(BENCH), "--error-logfile", "-", "--log-level", "warning",
        ], {**os.environ, "LIMIT_DSN": svc["db"], "LIMIT_ORG_ID": str(org), "LIMIT_API_KEY": api_key},
            logs / "limit.log")
        wait_http(app_port, "/healthz", app)
        wait_http(limit_port, "/", limit)
        log(f"PeaceCase on 127.0.0.1:{app_port}, limit on 127.0.0.1:{limit_port}")
        api_headers = {"Authorization": f"Api-Key {api_key}", "Accept": "application/json"}
        endpoints = discover(app_port, limit_port, api_headers, dispute, results)
        cookie = login(app_port, loader.BENCH_USER_EMAIL, password)
        page_headers = {"Cookie": cookie}
        pages = {"dashboard page": ("/", "<html"), "disputes list page": ("/disputes/", "PC-")}

        wrk = ensure_wrk()
        if wrk is None:
            results["notes"].append("wrk unavailable: the threaded Python load generator was used")
        load = (lambda *a: run_wrk(wrk, *a)) if wrk else run_python_load
        log(f"load generator: {'wrk' if wrk else 'python threads'}, {CONNECTIONS} connections, {round_s} s rounds")

        for name, ep in endpoints.items():
            if not ep.get("available"):
                continue
            rounds: dict[str, list] = {"peacecase": [], "limit": []}
            for _i in range(2):
                for side, port in (("peacecase", app_port), ("limit", limit_port)):
                    before = check_api(port, ep["path"], api_headers)
                    r = load(port, ep["path"], api_headers, '"results"', round_s)
                    check_api(port, ep["path"], api_headers)
                    if r["bad"] or r["socket_errors"]:
                        raise AssertionError(f"{name} on {side}: {r['bad']} bad responses, "
                                             f"{r['socket_errors']} socket errors in the round")
                    r["bytes"] = before["bytes"]
                    rounds[side].append(r)
                    log(f"  {name:<22} {side:<9} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f}  p99 {r['p99']:6.1f} ms")
            ep["rounds"] = rounds
            ep["peacecase"] = summarise(rounds["peacecase"])
            ep["limit"] = summarise(rounds["limit"])
            ep["ratio"] = round(ep["peacecase"]["rps"] / ep["limit"]["rps"], 3)
        for name, (path, marker) in pages.items():
            ep = {"path": path, "kind": "page", "available": True}
            try:
                ep["sample"] = check_page(app_port, path, page_headers, marker)
            except AssertionError as exc:
                ep.update(available=False, reason=str(exc)[:300])
                endpoints[name] = ep
                continue
            rounds = {"peacecase": []}
            for _i in range(2):
                check_page(app_port, path, page_headers, marker)
                r = load(app_port, path, page_headers, marker, round_s)
                check_page(app_port, path, page_headers, marker)
                if r["bad"] or r["socket_errors"]:
                    raise AssertionError(f"{name}: {r['bad']} bad responses in the round")
                rounds["peacecase"].append(r)
                log(f"  {name:<22} peacecase {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f}  p99 {r['p99']:6.1f} ms")
            ep["rounds"] = rounds
            ep["peacecase"] = summarise(rounds["peacecase"])
            endpoints[name] = ep
        results["endpoints"] = endpoints

        # Peak RSS of the web workers once all rounds are done.
        workers = worker_pids(app.pid)
        results["memory"] = {
            "workers": {str(p): {"VmHWM_kB": proc_kb(p, "VmHWM"), "VmRSS_kB": proc_kb(p, "VmRSS")} for p in workers},
        }
        peaks = [v["VmHWM_kB"] for v in results["memory"]["workers"].values() if v["VmHWM_kB"]]
        results["memory"]["peak_rss_mb"] = round(max(peaks) / 1024, 1) if peaks else None
        procs.stop(limit)

        log("queries per request at page sizes 10 and 200")
        q_spec = {
            "api_key": api_key,
            "api": {n: e["path"] for n, e in endpoints.items() if e.get("available") and e.get("kind") == "api"},
            "pages": {n: e["path"] for n, e in endpoints.items() if e.get("available") and e.get("kind") == "page"},
        }
        for name, row in djtask(env, "queries", q_spec).items():
            endpoints[name]["queries"] = row

        log("reminder dispatcher: claim 500 among all reminders")
        results["dispatcher"] = {"claim": djtask(env, "claim", {"batch_size": 500})}
        results["dispatcher"]["delivery"] = deliveries(procs, env, logs, quick=args.quick)
        results["dispatcher"]["in_process"] = djtask(env, "deliver_inprocess", {"count": 50 if args.quick else 200})

        log("importer: UCDP peace agreements")
        results["importer"] = importer(env)
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        results["notes"].append("interrupted before the end: the figures are partial")
        status = 130
    except Exception as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        results["notes"].append(f"failed before the end ({type(exc).__name__}: {str(exc)[:500]}): "
                                "the figures are partial")
        status = 1
    else:
        status = 0
    finally:
        procs.stop_all()
        if svc and not args.keep_db:
            with contextlib.suppress(Exception):
                flush_redis(svc["redis"])
            with contextlib.suppress(Exception):
                drop_database(svc["admin"])
    results["total_seconds"] = round(time.monotonic() - started, 1)
    write_results(results)
    return status


def discover(app_port: int, limit_port: int, headers: dict, dispute: int, results: dict) -> dict:
    """Which of the list endpoints the API has today; the others are reported as not available."""
    candidates = {
        "disputes list": ["/api/v1/disputes/?page_size=50"],
        "sessions of a dispute": [f"/api/v1/sessions/?dispute={dispute}", f"/api/v1/sessions/?dispute_id={dispute}",
                                  f"/api/v1/disputes/{dispute}/sessions/"],
        "provisions with scores": [f"/api/v1/provisions/?dispute={dispute}",
                                   f"/api/v1/provisions/?dispute_id={dispute}",
                                   f"/api/v1/disputes/{dispute}/provisions/"],
        "dispute timeline": [f"/api/v1/disputes/{dispute}/timeline/"],
    }
    out: dict[str, dict] = {}
    for name, paths in candidates.items():
        ep: dict = {"kind": "api", "available": False, "tried": paths}
        for path in paths:
            try:
                sample = check_api(app_port, path, headers, DISPUTE_ROW_KEYS if name == "disputes list" else None)
            except (AssertionError, ValueError) as exc:
                ep["reason"] = str(exc)[:300]
                continue
            ep.update(available=True, path=path, sample=sample)
            ep.pop("reason", None)
            try:
                limit_sample = check_api(limit_port, path, headers)
            except (AssertionError, ValueError) as exc:
                ep.update(available=False, reason=f"the limit does not serve {path}: {exc}")
                break
            ep["limit_sample"] = limit_sample
            missing = sorted(set(sample["keys"]) - set(limit_sample["keys"]))
            extra = sorted(set(limit_sample["keys"]) - set(sample["keys"]))
            ep["shape"] = "same keys" if not (missing or extra) else f"limit lacks {missing}, has extra {extra}"
            break
        log(f"  {name:<22} {'→ ' + ep['path'] if ep['available'] else 'not available: ' + ep.get('reason', '')}")
        out[name] = ep
    return out


def summarise(rounds: list[dict]) -> dict:
    return {
        "rps": round(statistics.mean(r["rps"] for r in rounds), 1),
        "p50": round(statistics.mean(r["p50"] for r in rounds), 2),
        "p95": round(statistics.mean(r["p95"] for r in rounds), 2),
        "p99": round(max(r["p99"] for r in rounds), 2),
        "requests": sum(r["requests"] for r in rounds),
        "bytes": rounds[0].get("bytes"),
    }


def deliveries(procs: Processes, env: dict, logs: Path, *, quick: bool) -> dict:
    """Deliveries per second by one Celery worker (solo pool): dispatch N due reminders, wait for them."""
    count = 100 if quick else 1000
    worker = procs.start("celery worker", [
        PY, "-m", "celery", "-A", "peacecase", "worker", "--pool=solo", "--concurrency=1", "--loglevel=WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ], env, logs / "celery.log")
    try:
        time.sleep(3 if quick else 5)  # let the worker connect before the clock starts
        if worker.poll() is not None:
            return {"error": f"the Celery worker exited with {worker.returncode}; see {logs / 'celery.log'}"}
        t0 = time.perf_counter()
        dispatched = djtask(env, "dispatch", {"count": count})
        ids = dispatched["ids"]
        status: dict = {}
        deadline = time.monotonic() + (30 if quick else 90)
        while time.monotonic() < deadline:
            status = djtask(env, "delivered", {"ids": ids})
            if status["sent"] + status["failed"] >= len(ids):
                break
            time.sleep(1)
        wall = time.perf_counter() - t0
        out = {"dispatched": len(ids), "enqueued": dispatched["enqueued"], "dispatch_seconds": dispatched["seconds"],
               **status, "wall_seconds": round(wall, 2)}
        if status.get("first_sent_at") and status.get("last_sent_at") and status["sent"] > 1:
            span = (dt.datetime.fromisoformat(status["last_sent_at"])
                    - dt.datetime.fromisoformat(dispatched["started"])).total_seconds()
            out["per_second"] = round(status["sent"] / span, 1)
        return out
    finally:
        procs.stop(worker)


def importer(env: dict) -> dict:
    if not UCDP_CSV.exists():
        return {"error": f"{UCDP_CSV} not found"}
    t0 = time.perf_counter()
    proc = manage(env, "import_peace_agreements", "--format", "ucdp", str(UCDP_CSV), "--organisation",
                  loader.IMPORT_ORG, timeout=600)
    seconds = round(time.perf_counter() - t0, 2)
    rows = sum(1 for _ in UCDP_CSV.open(encoding="utf-8", errors="replace")) - 1
    return {"seconds": seconds, "csv_rows": rows, "returncode": proc.returncode,
            "summary": (proc.stdout.strip().splitlines() or [""])[-1][:300],
            "errors": len(proc.stderr.strip().splitlines()) if proc.stderr.strip() else 0}


def machine() -> dict:
    mem_kb = proc_kb_meminfo("MemTotal")
    cpu = ""
    with contextlib.suppress(OSError):
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else ""
    pg = ""
    with contextlib.suppress(Exception):
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None, "cpu": cpu,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}", "psql": pg}


def proc_kb_meminfo(field: str) -> int | None:
    with contextlib.suppress(OSError):
        m = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        return int(m.group(1)) if m else None
    return None


# --- results -------------------------------------------------------------------------------------------


def verdicts(r: dict) -> list[tuple[str, str, str]]:
    """(target, figure, met / missed / not measured) for each target of the issue."""
    out = []
    eps = r.get("endpoints", {})
    api = {n: e for n, e in eps.items() if e.get("kind") == "api"}
    for name, e in api.items():
        if e.get("ratio") is None:
            out.append((f"{name}: ≥ {TARGETS['api_ratio']} of the limit's requests/s", "not available", "not measured"))
        else:
            out.append((f"{name}: ≥ {TARGETS['api_ratio']} of the limit's requests/s", f"{e['ratio']:.2f}",
                        "met" if e["ratio"] >= TARGETS["api_ratio"] else "missed"))
    for name, e in eps.items():
        if e.get("peacecase"):
            p99 = e["peacecase"]["p99"]
            out.append((f"{name}: p99 < {TARGETS['p99_ms']} ms", f"{p99:.1f} ms",
                        "met" if p99 < TARGETS["p99_ms"] else "missed"))
    for name, e in eps.items():
        if e.get("kind") == "page" and e.get("peacecase"):
            p50 = e["peacecase"]["p50"]
            out.append((f"{name}: p50 < {TARGETS['page_p50_ms']} ms", f"{p50:.1f} ms",
                        "met" if p50 < TARGETS["page_p50_ms"] else "missed"))
    for name, e in eps.items():
        q = e.get("queries")
        if q:
            out.append((f"{name}: queries constant from page size 10 to 200", f"{q['10']} → {q['200']}",
                        "met" if q["10"] == q["200"] else "missed"))
    claim = r.get("dispatcher", {}).get("claim", {})
    if claim:
        out.append((f"claim 500 due among {claim['reminders']:,} reminders < {TARGETS['claim_ms']} ms, index scan",
                    f"{claim['ms_median']:.1f} ms, {'index scan' if claim['index_scan'] else 'no index scan'}",
                    "met" if claim["ms_median"] < TARGETS["claim_ms"] and claim["index_scan"] else "missed"))
    delivery = r.get("dispatcher", {}).get("delivery", {})
    if delivery.get("per_second") is not None:
        out.append((f"≥ {TARGETS['deliveries_per_s']} deliveries/s with one worker", f"{delivery['per_second']:.0f}/s",
                    "met" if delivery["per_second"] >= TARGETS["deliveries_per_s"] else "missed"))
    elif delivery:
        out.append((f"≥ {TARGETS['deliveries_per_s']} deliveries/s with one worker", "—", "not measured"))
    rss = r.get("memory", {}).get("peak_rss_mb")
    if rss is not None:
        out.append((f"web worker peak RSS < {TARGETS['rss_mb']} MB", f"{rss:.0f} MB",
                    "met" if rss < TARGETS["rss_mb"] else "missed"))
    load = r.get("load", {})
    if load:
        scale = "10,000-dispute" if not r["quick"] else "1,000-dispute (quick)"
        out.append((f"the {scale} load < {TARGETS['load_s']} s", f"{load['seconds']:.0f} s",
                    "met" if load["seconds"] < TARGETS["load_s"] else "missed"))
    return out


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"# PeaceCase benchmark — {r['date'][:10]}{' (quick: a tenth of the data)' if r['quick'] else ''}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu'] or 'unknown CPU'}; Python {m['python']}; "
        f"{m['psql']}; {r.get('services', '')}. Load: {r['connections']} connections on 127.0.0.1, "
        f"{r['round_seconds']:.0f} s rounds alternating PeaceCase / limit / PeaceCase / limit; "
        "both under gunicorn with 2 workers. Every response checked "
        "(status 200, non-empty body of the expected shape).",
        "",
        "| endpoint | PeaceCase req/s | p50 ms | p95 ms | p99 ms | limit req/s | limit p50 | limit p99 | "
        "PeaceCase ÷ limit | queries (page 10 / 200) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, e in r.get("endpoints", {}).items():
        if not e.get("available"):
            lines.append(f"| {name} | not available | | | | | | | | |")
            continue
        pc, lim, q = e.get("peacecase", {}), e.get("limit"), e.get("queries", {})
        lines.append(
            f"| {name} (`{e['path']}`) | {pc.get('rps', 0):.0f} | {pc.get('p50', 0):.1f} | {pc.get('p95', 0):.1f} | "
            f"{pc.get('p99', 0):.1f} | {f'{lim['rps']:.0f}' if lim else '—'} | "
            f"{f'{lim['p50']:.1f}' if lim else '—'} | {f'{lim['p99']:.1f}' if lim else '—'} | "
            f"{f'{e['ratio']:.2f}' if e.get('ratio') is not None else '—'} | "
            f"{q.get('10', '?')} / {q.get('200', '?')} |"
        )
    load = r.get("load", {})
    counts = load.get("counts", {})
    lines += [
        "",
        f"Data: {', '.join(f'{v:,} {k}' for k, v in counts.items())}; loaded by {load.get('by')} in "
        f"{load.get('seconds')} s (migrate {r.get('migrate_seconds')} s).",
    ]
    claim = r.get("dispatcher", {}).get("claim", {})
    delivery = r.get("dispatcher", {}).get("delivery", {})
    if claim:
        lines.append(
            f"Dispatcher: claiming {claim['claimed']} of {claim['due']:,} due reminders among "
            f"{claim['reminders']:,} took {claim['ms_median']} ms (median of {len(claim['ms_all'])}; "
            f"{'index scan' if claim['index_scan'] else 'NO index scan'}; the SELECT … FOR UPDATE SKIP LOCKED "
            f"alone {claim.get('select_ms_median')} ms, the rest is the UPDATE that leases the rows). "
            f"One Celery worker (solo pool) delivered {delivery.get('sent', '?')} of {delivery.get('dispatched', '?')} "
            f"reminders at {delivery.get('per_second', '?')}/s."
        )
        inproc = r.get("dispatcher", {}).get("in_process", {})
        if inproc:
            lines.append(
                f"The delivery service alone, in one process without the broker: {inproc.get('per_second')}/s, "
                f"{inproc.get('queries_per_delivery')} queries and {inproc.get('commits_per_delivery')} writes "
                "per reminder (one recipient, in-app notice and e-mail)."
            )
    imp = r.get("importer", {})
    if imp:
        lines.append(f"Importer: {imp.get('csv_rows', '?')} UCDP rows in {imp.get('seconds', '?')} s "
                     f"({imp.get('summary', imp.get('error', ''))}).")
    rss = r.get("memory", {}).get("peak_rss_mb")
    lines.append(f"Web worker peak RSS after the run: {rss} MB.")
    lines += ["", "| target | figure | |", "|---|---|---|"]
    lines += [f"| {t} | {f} | {v} |" for t, f, v in verdicts(r)]
    if claim:
        lines += ["", "Claim plan:", "", "```", claim["plan"], "```"]
    if r.get("notes"):
        lines += ["", "Notes: " + "; ".join(r["notes"])]
    lines.append(f"\nTotal run time: {r.get('total_seconds')} s.")
    return "\n".join(lines) + "\n"


def write_results(r: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    r["verdicts"] = [{"target": t, "figure": f, "verdict": v} for t, f, v in verdicts(r)]
    # A quick run is for development: it must not replace the full run's figures that the README shows.
    stem = "quick" if r["quick"] else "latest"
    (RESULTS / f"{stem}.json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    md = markdown(r)
    (RESULTS / f"{stem}.md").write_text(md)
    print("\n" + md)
    log(f"written {RESULTS / f'{stem}.json'} and {RESULTS / f'{stem}.md'}")


if __name__ == "__main__":
    sys.exit(main())
