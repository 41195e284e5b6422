"""Reminders, the notices they produce, and who wants what (DESIGN.md §4).

The database is the source of truth; Celery only executes. A Reminder row carries its
kind, its target (type + id, never a foreign key into the domain, so this app stays below
sessions, negotiations and agreements) and the context it needs to render.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class ReminderKind(models.TextChoices):
    SESSION_UPCOMING = "session_upcoming", _("Session upcoming")
    SHUTTLE_FOLLOW_UP = "shuttle_follow_up", _("Shuttle follow-up")
    PROPOSAL_RESPONSE_DUE = "proposal_response_due", _("Proposal response due")
    PROPOSAL_RESPONSE_OVERDUE = "proposal_response_overdue", _("Proposal response overdue")
    ACTION_ITEM_DUE = "action_item_due", _("Action item due")
    ACTION_ITEM_OVERDUE = "action_item_overdue", _("Action item overdue")
    PROVISION_DUE = "provision_due", _("Commitment due")
    PROVISION_DUE_TODAY = "provision_due_today", _("Commitment due today")
    PROVISION_OVERDUE = "provision_overdue", _("Commitment overdue")
    DISPUTE_STALE = "dispute_stale", _("Dispute stale")


class Reminder(TimeStampedModel):
    """A scheduled notice. ``next_attempt_at`` is when the dispatcher may (re)claim it.

    ``due_at`` is the domain's time and never moves by itself. ``next_attempt_at`` starts
    equal to it and is pushed forward by the machinery: while the row is ``sending`` it is
    the lease expiry (a worker that died leaves the row to be reclaimed then), after a
    failed attempt it is the back-off, during quiet hours it is the recipient's morning.
    One column for all three keeps the claim query to one partial index.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    Kind = ReminderKind

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=ReminderKind.choices)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.BigIntegerField(_("target id"))
    dispute_id = models.BigIntegerField(_("dispute"), null=True, blank=True)
    key = models.CharField(_("key"), max_length=200)
    due_at = models.DateTimeField(_("due at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipients"),
        through="ReminderRecipient",
        related_name="reminders",
    )
    context = models.JSONField(_("context"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Unindexed, unlike TimeStampedModel's: every lease and every outcome rewrites updated_at,
    # and at a million rows each index an UPDATE must maintain is a measurable share of the claim.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "id"]
        constraints = [
            # Re-scheduling with the same key replaces the pending row instead of adding one.
            models.UniqueConstraint(
                fields=["organisation", "key"], condition=Q(status="pending"), name="reminder_one_pending_per_key"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "cancelled", "failed"]),
                name="reminder_status_valid",
            ),
        ]
        indexes = [
            # The claim query: WHERE status IN ('pending','sending') AND next_attempt_at <= now.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="reminder_claimable",
            ),
            models.Index(fields=["target_type", "target_id"], name="reminder_target"),
            models.Index(fields=["dispute_id", "due_at"], name="reminder_dispute"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target_type}#{self.target_id} · {self.due_at:%Y-%m-%d %H:%M} UTC"

    @property
    def lease_until(self) -> dt.datetime | None:
        return self.next_attempt_at if self.status == self.Status.SENDING else None


class ReminderRecipient(models.Model):
    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="recipient_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("reminder recipient")
        verbose_name_plural = _("reminder recipients")
        constraints = [models.UniqueConstraint(fields=["reminder", "user"], name="reminder_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.reminder_id} → {self.user_id}"


class Notification(models.Model):
    """An in-app notice. The unique (reminder, recipient) pair makes a second delivery impossible."""

    reminder = models.ForeignKey(
        Reminder, verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "recipient"], name="notification_once_per_recipient")
        ]
        indexes = [
            models.Index(fields=["recipient", "organisation", "-created_at"], name="notification_list"),
            # The bell counts unread notices on every page.
            models.Index(
                fields=["recipient", "organisation"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EmailDelivery(models.Model):
    """One e-mail per (reminder, recipient): the row is locked while sending and marked sent in the same commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    reminder = models.ForeignKey(
        Reminder, verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="email_deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(_("e-mail address"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reminder", "recipient"], name="email_once_per_recipient")]

    def __str__(self) -> str:
        return f"{self.email} · {self.get_status_display()}"


def _default_session_hours() -> list[int]:
    return [24, 1]


class ReminderRules(TimeStampedModel):
    """An organisation's reminder offsets. Without a row, the defaults below apply."""

    organisation = models.OneToOneField(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="reminder_rules"
    )
    session_upcoming_hours = ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]),
        verbose_name=_("session upcoming: hours before"),
        size=4,
        default=_default_session_hours,
        blank=True,
        help_text=_("Comma-separated, e.g. 24,1. Empty for none."),
    )
    shuttle_follow_up_hours = models.PositiveIntegerField(
        _("shuttle follow-up: hours after a visit"), default=48, validators=[MinValueValidator(1)]
    )
    proposal_response_hours_before = models.PositiveIntegerField(
        _("proposal response: hours before the deadline"), default=24, validators=[MaxValueValidator(24 * 30)]
    )
    action_item_days_before = models.PositiveIntegerField(
        _("action item: days before"), default=2, validators=[MaxValueValidator(90)]
    )
    provision_days_before = models.PositiveIntegerField(
        _("commitment: days before"), default=7, validators=[MaxValueValidator(365)]
    )
    dispute_stale_days = models.PositiveIntegerField(
        _("dispute stale: days without a session"), default=30, validators=[MinValueValidator(1)]
    )
    quiet_hours_enabled = models.BooleanField(
        _("quiet hours"), default=False, help_text=_("Hold e-mails (not in-app notices) until the morning.")
    )
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=dt.time(7, 0))

    class Meta:
        verbose_name = _("reminder rules")
        verbose_name_plural = _("reminder rules")

    def __str__(self) -> str:
        return str(_("Reminder rules of %(organisation)s") % {"organisation": self.organisation_id})


class NotificationPreference(TimeStampedModel):
    """Per user; without a row both channels are on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("e-mail"), default=True)
    in_app = models.BooleanField(_("in-app"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user_id)
