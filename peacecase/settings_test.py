"""Test overrides: fast hashing, in-memory e-mail. Same real PostgreSQL and Redis."""

import os

os.environ.setdefault("PEACECASE_TESTING", "1")

from peacecase.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Tests create their own connections per thread (live server, workers).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Two-factor enforcement is tested on its own (tests/accounts/test_two_factor.py) with it on;
# other tests sign in with force_login and would otherwise all need a device.
PEACECASE_ENFORCE_2FA = False
LOCKOUT_KEY_PREFIX = f"peacecase:test:{os.getpid()}:lockout:"
# Query counts pinned in tests must not depend on how long a test takes: a session is renewed
# once, by the first request (the renewal itself is tested with PEACECASE_SESSION_RENEW_SECONDS=60).
PEACECASE_SESSION_RENEW_SECONDS = 24 * 3600
