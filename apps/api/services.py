from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import Actor
from apps.accounts.models import Organisation
from apps.accounts.policies import ensure_may_administer
from apps.api.models import IdempotencyRecord, OrganisationAPIKey
from apps.common.errors import ApplicationError
from apps.common.services import audit_record

# How long a remembered response is replayed for an Idempotency-Key.
IDEMPOTENCY_TTL = timedelta(hours=24)
# last_used_at is a hint for admins, not an access log: one write a minute per key is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _require_key_admin(actor: Actor | None, organisation_id: int) -> None:
    """The organisation's admins, signed in (apps/accounts/policies.py; keys never manage keys).
    ``actor`` None is the operator on the server (management commands)."""
    if actor is not None:
        ensure_may_administer(actor=actor, organisation_id=organisation_id, what=_("API keys"))


def _clean_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(_("The expiry must be in the future."), field="expires_at")
    return expires_at


@transaction.atomic
def api_key_create(
    *, actor: Actor | None, organisation: Organisation, name: str, scope: str = OrganisationAPIKey.Scope.READ,
    expires_at: datetime | None = None,
) -> tuple[OrganisationAPIKey, str]:
    """Create a key and return it with the raw key, which is shown once and never stored.

    ``actor`` is None for the management command (an operator on the server).
    """
    _require_key_admin(actor, organisation.pk)
    if scope not in OrganisationAPIKey.Scope.values:
        raise ApplicationError(_("Unknown scope."), field="scope")
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the key a name."), field="name")
    if len(name) > 50:
        raise ApplicationError(_("The name is too long (50 characters at most)."), field="name")
    expires_at = _clean_expiry(expires_at)
    api_key, raw_key = OrganisationAPIKey.objects.create_key(
        organisation=organisation, name=name, scope=scope, expiry_date=expires_at,
        created_by=actor.user if actor else None,
    )
    # No target: the key's primary key (prefix + hash) is longer than the audit's target_id; the
    # prefix identifies the key and is not secret.
    audit_record(
        actor=actor, organisation=organisation, action="api.api_key.created",
        after={"name": name, "scope": scope, "prefix": api_key.prefix,
               "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: Actor | None, api_key: OrganisationAPIKey) -> OrganisationAPIKey:
    """Revoke a key for good (the library refuses to un-revoke)."""
    _require_key_admin(actor, api_key.organisation_id)
    if api_key.revoked:
        return api_key
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked", "revoked_at"])
    audit_record(
        actor=actor, organisation=api_key.organisation, action="api.api_key.revoked",
        before={"prefix": api_key.prefix, "revoked": False}, after={"prefix": api_key.prefix, "revoked": True},
    )
    return api_key


def _rotation_overlap() -> timedelta:
    return timedelta(hours=float(getattr(settings, "API_KEY_ROTATION_OVERLAP_HOURS", 24)))


@transaction.atomic
def api_key_rotate(
    *, actor: Actor | None, api_key: OrganisationAPIKey, overlap: timedelta | None = None
) -> tuple[OrganisationAPIKey, str]:
    """Replace a key by a new one with the same name, scope and expiry; return it with its raw key.

    The old key keeps working for ``overlap`` (default API_KEY_ROTATION_OVERLAP_HOURS, 24 h), so
    the partner can deploy the new key without an outage: its expiry is brought forward to the end
    of the overlap (never pushed back). Zero revokes it at once. A key that leaked is revoked, not
    rotated.
    """
    _require_key_admin(actor, api_key.organisation_id)
    api_key = OrganisationAPIKey.objects.select_for_update().select_related("organisation").get(pk=api_key.pk)
    if api_key.revoked or api_key.has_expired:
        raise ApplicationError(_("A revoked or expired key cannot be rotated; create a new one."), field="api_key")
    overlap = _rotation_overlap() if overlap is None else overlap
    if overlap < timedelta(0) or overlap > timedelta(days=7):
        raise ApplicationError(_("The overlap must be between 0 and 7 days."), field="overlap")
    new_key, raw_key = OrganisationAPIKey.objects.create_key(
        organisation=api_key.organisation, name=api_key.name, scope=api_key.scope,
        expiry_date=api_key.expiry_date, created_by=actor.user if actor else None,
    )
    now = timezone.now()
    if overlap:
        end = now + overlap
        if api_key.expiry_date is None or api_key.expiry_date > end:
            api_key.expiry_date = end
            api_key.save(update_fields=["expiry_date"])
    else:
        api_key.revoked, api_key.revoked_at = True, now
        api_key.save(update_fields=["revoked", "revoked_at"])
    audit_record(
        actor=actor, organisation=api_key.organisation, action="api.api_key.rotated",
        before={"prefix": api_key.prefix},
        after={"prefix": new_key.prefix, "old_key_ends_at": (api_key.revoked_at or api_key.expiry_date).isoformat()},
    )
    return new_key, raw_key


def api_key_mark_used(*, api_key: OrganisationAPIKey) -> None:
    """Record use at most once a minute: the row was just loaded, so skipping costs no query."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    # A filtered UPDATE, so concurrent requests do not pile up writes on one row.
    OrganisationAPIKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    api_key.last_used_at = now


def idempotency_purge_expired() -> int:
    """Drop remembered responses older than the replay window."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    return deleted
