"""The OpenAPI schema and its two viewers, served under the project's Content Security Policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView


class SwaggerView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


def _docs_policy() -> dict[str, list[str]]:
    """The site policy, loosened only where the viewers need it; scripts still need the nonce.

    - style-src: both viewers (Redoc's styled-components above all) set inline styles; they carry
      no script, so this is the least that makes the pages render.
    - worker-src blob: Redoc runs its search index in a worker built from a blob URL, which only
      this page's own (nonce-checked) script can create.
    """
    policy = {k: list(v) for k, v in settings.SECURE_CSP.items()}
    policy["style-src"] = [*policy.get("style-src", [CSP.SELF]), CSP.UNSAFE_INLINE]
    policy["worker-src"] = [CSP.SELF, "blob:"]
    return policy


def docs_view(view: Callable[..., Any]) -> Callable[..., Any]:
    return csp_override(_docs_policy())(view)


schema_view = SpectacularAPIView.as_view()
swagger_view = docs_view(SwaggerView.as_view(url_name="api-schema"))
redoc_view = docs_view(RedocView.as_view(url_name="api-schema"))
