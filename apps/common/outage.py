"""A database that cannot be reached is a 503 (try again shortly), not a 500 (a bug).

While PostgreSQL restarts, connecting or talking to it raises ``OperationalError`` or
``InterfaceError``. Those can come from a view, from a service or from a middleware that runs
before any view (sessions, authentication), so they are recognised in two places:

- ``server_error`` (``handler500``) sees every uncaught exception, whatever raised it;
- ``apps.api.problems.exception_handler`` sees the ones raised inside API views.

Both answer 503 with ``Retry-After``: a problem document under ``/api/``, a short page elsewhere.
The pages here never touch the database (no user, no session, no context processors).
"""

from __future__ import annotations

import sys

import orjson
import psycopg2
from django import db
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

RETRY_AFTER_SECONDS = 5
_OUTAGE_ERRORS = (db.OperationalError, db.InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError)


def is_database_outage(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it was raised from) says the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def outage_problem() -> dict[str, object]:
    return {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": _("The database is unavailable for a moment. Please retry shortly."),
        "code": "database_unavailable",
        "errors": {},
    }


def outage_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = HttpResponse(
            orjson.dumps(outage_problem()), status=503, content_type="application/problem+json"
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it inside the ``except`` block, so ``sys.exc_info()`` is the error."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    if request.path.startswith("/api/"):
        body = {
            "type": "about:blank", "title": "Internal Server Error", "status": 500,
            "detail": _("Something went wrong on our side. The error has been logged."),
            "code": "internal_server_error", "errors": {},
        }
        return HttpResponseServerError(orjson.dumps(body), content_type="application/problem+json")
    return HttpResponseServerError(loader.render_to_string("500.html"))
