"""The OpenAPI schema and its two viewers, served under the project's Content Security Policy."""

from __future__ import annotations

from django.conf import settings
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation


class _FormatQuery:
    URL_FORMAT_OVERRIDE = "format"


class FormatQueryNegotiation(DefaultContentNegotiation):
    """``?format=json`` (or yaml) picks the schema's format, as partners' tools expect; the rest of
    the API keeps URL_FORMAT_OVERRIDE off (there ``format`` is an unknown query parameter)."""

    settings = _FormatQuery()


class SchemaView(SpectacularAPIView):
    content_negotiation_class = FormatQueryNegotiation
    # YAML by default, as before; ?format=json answers plain application/json (tools such as
    # openapi-python-client pick their parser by it), the OpenAPI media types on request.
    renderer_classes = [OpenApiYamlRenderer, OpenApiYamlRenderer2, OpenApiJsonRenderer2, OpenApiJsonRenderer]


class SwaggerView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


def _docs_policy(*, inline_styles: bool) -> dict[str, list[str]]:
    """The site policy, loosened only where a viewer needs it; scripts always need the nonce.

    - Swagger UI runs under the site policy as it is (its styles are a file and DOM properties).
    - Redoc's styled-components insert <style> elements and style attributes without a nonce, so
      its page allows inline styles (they carry no script), and a worker from a blob URL for the
      search index, which only the page's own nonce-checked script can create.
    """
    policy = {k: list(v) for k, v in settings.SECURE_CSP.items()}
    if inline_styles:
        policy["style-src"] = [*policy.get("style-src", [CSP.SELF]), CSP.UNSAFE_INLINE]
        policy["worker-src"] = [CSP.SELF, "blob:"]
    return policy


schema_view = SchemaView.as_view()
swagger_view = SwaggerView.as_view(url_name="api-schema")
redoc_view = csp_override(_docs_policy(inline_styles=True))(RedocView.as_view(url_name="api-schema"))
