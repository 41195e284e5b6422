from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager


class OrganisationAPIKey(AbstractAPIKey):
    """An organisation's key for a partner integration (DESIGN.md §3.4).

    Only the prefix and a SHA-512 hash of the key are stored (the library's fast hasher:
    the key is 32 random characters, so a slow password hash buys nothing and costs every request).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="api_keys"
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = APIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=["read", "write"]), name="api_key_scope_valid"),
        ]

    @property
    def scopes(self) -> frozenset[str]:
        # "write" implies "read": a key that may change data may also read it.
        return frozenset({"read", "write"}) if self.scope == self.Scope.WRITE else frozenset({"read"})


class IdempotencyRecord(models.Model):
    """The first successful response to a POST carrying an Idempotency-Key, replayed for 24 h.

    Keyed by organisation and caller (one API key or one user), so two callers never share keys.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    caller = models.CharField(_("caller"), max_length=80)
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response_data = models.JSONField(_("response"), null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "caller", "key"], name="idempotency_unique_caller_key"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
