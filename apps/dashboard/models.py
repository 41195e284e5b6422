from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class CalendarFeed(TimeStampedModel):
    """A personal iCal feed: a secret URL a calendar app subscribes to, revocable at any time.

    Only a SHA-256 hash of the token is stored; the URL is shown once, when it is made.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="calendar_feeds")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], condition=Q(revoked_at__isnull=True),
                                    name="calendarfeed_one_active_per_user_org"),
        ]

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id} in organisation {self.organisation_id}"
