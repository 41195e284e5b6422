from __future__ import annotations

from datetime import timedelta

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


@transaction.atomic
def api_key_create(
    *, actor: Actor | None, organisation: Organisation, name: str, scope: str = OrganisationAPIKey.Scope.READ
) -> tuple[OrganisationAPIKey, str]:
    """Create a key and return it with the raw key, which is shown once and never stored.

    ``actor`` is None for the management command (an operator on the server).
    """
    if actor is not None:
        ensure_may_administer(actor=actor, organisation_id=organisation.pk, what=_("API keys"))
    if scope not in OrganisationAPIKey.Scope.values:
        raise ApplicationError(_("Unknown scope."), field="scope")
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the key a name."), field="name")
    if len(name) > 50:
        raise ApplicationError(_("The name is too long (50 characters at most)."), field="name")
    api_key, raw_key = OrganisationAPIKey.objects.create_key(
        organisation=organisation, name=name, scope=scope, created_by=actor.user if actor else None
    )
    # No target: the key's primary key (prefix + hash) is longer than the audit's target_id; the
    # prefix identifies the key and is not secret.
    audit_record(
        actor=actor, organisation=organisation, action="api.api_key.created",
        after={"name": name, "scope": scope, "prefix": api_key.prefix},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: Actor | None, api_key: OrganisationAPIKey) -> OrganisationAPIKey:
    """Revoke a key for good (the library refuses to un-revoke)."""
    if actor is not None:
        ensure_may_administer(actor=actor, organisation_id=api_key.organisation_id, what=_("API keys"))
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
