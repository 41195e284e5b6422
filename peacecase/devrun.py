"""`make run`: migrate, load the demo data once, then run web, Celery worker and beat together.

Output of the three is prefixed; Ctrl-C stops all three and the embedded servers.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PY = sys.executable


def _manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, check=True)


def _pump(name: str, proc: subprocess.Popen) -> None:
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, b""):
        sys.stdout.write(f"{name:>6} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def _demo_password() -> str:
    path = VAR / "demo-password.txt"
    if path.exists():
        return path.read_text().strip()
    VAR.mkdir(exist_ok=True)
    password = os.environ.get("PEACECASE_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def main() -> int:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peacecase.settings")
    embedded = not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    if embedded:
        from peacecase import devservers

        # Every child process inherits the URLs, so none of them has to start servers.
        devservers.ensure_environment()
        print(f"embedded PostgreSQL and Redis running under {devservers.VAR_DIR}")
    try:
        _manage("migrate", "--no-input")
        marker = VAR / "demo-loaded"
        password = _demo_password()
        if not marker.exists():
            _manage("seed_demo", "--password", password)
            marker.write_text("yes\n")
        print(
            "\n  PeaceCase is starting at http://127.0.0.1:8000\n"
            f"  Sign in as mediator@demo.example or admin@demo.example, password: {password}\n"
            "  (analyst@demo.example and the @partner.example users have the same password)\n"
        )
        VAR.mkdir(exist_ok=True)
        commands = {
            "web": [PY, "manage.py", "runserver", "127.0.0.1:8000"],
            "worker": [PY, "-m", "celery", "-A", "peacecase", "worker", "-l", "info", "--concurrency", "2"],
            "beat": [PY, "-m", "celery", "-A", "peacecase", "beat", "-l", "info",
                     "--schedule", str(VAR / "celerybeat-schedule")],
        }
        procs = {
            name: subprocess.Popen(cmd, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)
            for name, cmd in commands.items()
        }
        for name, proc in procs.items():
            threading.Thread(target=_pump, args=(name, proc), daemon=True).start()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                if any(p.poll() is not None for p in procs.values()):
                    print("a process exited; stopping the others")
                    break
                stop.wait(0.5)
        except KeyboardInterrupt:
            pass
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if embedded:
            from peacecase import devservers

            devservers.stop()
            print("embedded PostgreSQL and Redis stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
