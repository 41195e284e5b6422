from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class WebhookEvent(models.TextChoices):
    """What partners may subscribe to. Payloads carry ids, references, statuses and times, never note text."""

    DISPUTE_STAGE_CHANGED = "dispute.stage_changed", _("Dispute stage changed")
    SESSION_SCHEDULED = "session.scheduled", _("Session scheduled")
    SESSION_RESCHEDULED = "session.rescheduled", _("Session rescheduled")
    SESSION_CANCELLED = "session.cancelled", _("Session cancelled")
    SESSION_HELD = "session.held", _("Session held")
    PROPOSAL_TABLED = "proposal.tabled", _("Proposal tabled")
    PROPOSAL_ANSWERED = "proposal.answered", _("Proposal answered")
    AGREEMENT_SIGNED = "agreement.signed", _("Agreement signed")
    PROVISION_ASSESSMENT_RECORDED = "provision.assessment_recorded", _("Provision assessment recorded")
    # Sent on request to one endpoint only; nobody subscribes to it.
    PING = "webhook.ping", _("Test ping")

    @classmethod
    def subscribable(cls) -> list[tuple[str, str]]:
        return [(value, label) for value, label in cls.choices if value != cls.PING]


# What an endpoint may subscribe to (for the API schema's enum and the forms).
SUBSCRIBABLE_EVENTS = WebhookEvent.subscribable()


class WebhookEndpoint(TimeStampedModel):
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(
        models.CharField(max_length=60, choices=WebhookEvent.choices), verbose_name=_("events"), default=list
    )
    # Standard Webhooks secret ("whsec_" + base64); kept in clear, it is needed to sign.
    secret = models.CharField(_("signing secret"), max_length=100)
    # After a rotation the old secret signs too until it expires (both signatures in one header),
    # so a receiver can switch secrets without losing a delivery.
    previous_secret = models.CharField(_("previous signing secret"), max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(_("previous secret expires at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]
        indexes = [
            # webhook_emit: the active endpoints of one organisation subscribed to one event.
            GinIndex(fields=["events"], name="webhook_endpoint_events"),
            models.Index(fields=["organisation", "active"], name="webhook_endpoint_org_active"),
        ]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, *, now: datetime) -> list[str]:
        """The current secret, then the previous one while its overlap lasts."""
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    """The outbox: one row per event and endpoint, written in the emitter's transaction."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        GIVEN_UP = "given_up", _("Given up")
        # The endpoint's organisation could no longer read the dispute when the delivery was due
        # (share revoked, dispute restricted): nothing was sent.
        WITHHELD = "withheld", _("Withheld: no longer visible")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=60, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    # The dispute the event is about, re-checked against the endpoint's organisation before each
    # attempt (DESIGN.md §3b). A plain id: webhooks sit below the domain. None for a test ping.
    dispute_id = models.BigIntegerField(_("dispute id"), null=True, blank=True)
    webhook_id = models.CharField(_("webhook id"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Failed attempts are retried with back-off until this time (set again by a redelivery).
    retry_until = models.DateTimeField(_("retry until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            # The sweep: deliveries still due, oldest first.
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            # Replay of a time window: one endpoint's deliveries by creation time.
            models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_replay"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed", "given_up", "withheld"]),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
