"""Small template helpers for the web app: the active navigation item, query strings, badges."""

from __future__ import annotations

from django import template
from django.http import QueryDict

register = template.Library()

# url name prefix -> navigation item; the first match wins.
_NAV = [
    ("dispute_", "disputes"),
    ("party_", "parties"),
    ("representative_", "parties"),
    ("calendar", "calendar"),
    ("portfolio", "portfolio"),
    ("organisation_settings", "settings"),
    ("home", "dashboard"),
]


@register.simple_tag(takes_context=True)
def nav_section(context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    name = getattr(match, "url_name", None) or ""
    for prefix, section in _NAV:
        if name.startswith(prefix):
            return section
    return ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" drops them)."""
    request = context["request"]
    params: QueryDict = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
