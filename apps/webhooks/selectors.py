from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.actors import Actor
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, actor: Actor) -> QuerySet[WebhookEndpoint]:
    """The organisation's endpoints, for its admins only (nothing for anyone else)."""
    if not actor.is_admin:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(organisation=actor.organisation)


def webhook_delivery_list(*, actor: Actor, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    if not actor.is_admin:
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id, endpoint__organisation=actor.organisation)
