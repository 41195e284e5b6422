from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that answers with the queued status codes (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.statuses.pop(0) if state.statuses else 200
            state.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                   "path": self.path, "status": status, "at": time.monotonic()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            state.received.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def celery_worker_thread():
    """A real Celery worker (solo pool, in a thread) on the project app and the real broker."""
    from celery.contrib.testing.worker import start_worker

    from peacecase.celery import app

    with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture
def key_client():
    from rest_framework.test import APIClient

    def make(raw_key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make
