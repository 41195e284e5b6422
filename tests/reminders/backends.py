"""E-mail backends for the fault tests."""

from __future__ import annotations

import threading

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """Fails the first ``failures`` sends (class-wide), then behaves like locmem."""

    failures = 2
    calls = 0
    _lock = threading.Lock()

    def send_messages(self, messages):
        with FlakyBackend._lock:
            FlakyBackend.calls += 1
            fail = FlakyBackend.calls <= FlakyBackend.failures
        if fail:
            raise ConnectionRefusedError("SMTP server unavailable")
        return super().send_messages(messages)


class BrokenBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unavailable")
