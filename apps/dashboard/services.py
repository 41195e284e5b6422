"""Writes of the web app's own data: the personal calendar feed."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.services import audit_record
from apps.dashboard.models import CalendarFeed


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, actor: Actor) -> tuple[CalendarFeed, str]:
    """A new secret feed URL for the actor in this organisation; any earlier one stops working.

    Returns the feed and its token, which is never stored and cannot be shown again.
    """
    if actor.user is None:
        raise AccessDenied(_("Only a signed-in person has a calendar feed."))
    _revoke_active(actor)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor.user, organisation=actor.organisation,
                                       token_hash=hash_feed_token(token))
    audit_record(actor=actor, action="dashboard.calendar_feed.created", target=feed)
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: Actor) -> int:
    if actor.user is None:
        raise AccessDenied(_("Only a signed-in person has a calendar feed."))
    count = _revoke_active(actor)
    if not count:
        raise ApplicationError(_("You have no calendar feed to revoke."))
    return count


def _revoke_active(actor: Actor) -> int:
    feeds = list(CalendarFeed.objects.select_for_update().filter(
        user=actor.user, organisation=actor.organisation, revoked_at__isnull=True
    ))
    now = timezone.now()
    for feed in feeds:
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="dashboard.calendar_feed.revoked", target=feed)
    return len(feeds)
