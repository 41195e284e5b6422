"""The scope of the browser drafts (static/js/app.js): text typed and kept in the tab belongs to
one signed-in person in one sign-in, and goes when either changes."""

from __future__ import annotations

from django import template
from django.utils.crypto import salted_hmac

register = template.Library()


@register.simple_tag(takes_context=True)
def draft_scope(context: template.Context) -> str:
    """An opaque value per signed-in session (not the e-mail, not guessable from the user id);
    empty when nobody is signed in. A new sign-in has a new session key, so a new scope."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.session.session_key:
        return ""
    value = f"{user.pk}:{request.session.session_key}"
    return salted_hmac("peacecase.accounts.draft_scope", value, algorithm="sha256").hexdigest()[:32]
