from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from apps.accounts.models import validate_time_zone
from apps.common.models import TimeStampedModel


def normalise_name(value: str) -> str:
    """Case-, accent-width- and space-insensitive form of a name, for de-duplication."""
    value = unicodedata.normalize("NFKC", value or "").casefold()
    return re.sub(r"\s+", " ", value).strip()


class Party(TimeStampedModel):
    """An actor, reusable across the organisation's disputes."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        GOVERNMENT_BODY = "government_body", _("Government body")
        NON_STATE_ARMED_GROUP = "non_state_armed_group", _("Non-state armed group")
        POLITICAL_PARTY = "political_party", _("Political party")
        CIVIL_SOCIETY = "civil_society", _("Civil society organisation")
        COMMUNITY = "community", _("Community")
        INDIVIDUAL = "individual", _("Individual")
        INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")
        REGIONAL_ORGANISATION = "regional_organisation", _("Regional organisation")
        NGO = "ngo", _("NGO")
        BUSINESS = "business", _("Business")

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="parties"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)
    normalised_name = models.CharField(max_length=300, editable=False)
    aliases = ArrayField(models.CharField(max_length=300), verbose_name=_("aliases"), default=list, blank=True)
    normalised_aliases = ArrayField(models.CharField(max_length=300), default=list, editable=False)
    country = CountryField(_("country"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    pax_name = models.CharField(_("external name"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "normalised_name"], name="party_unique_name_per_org"),
        ]
        indexes = [
            GinIndex(fields=["normalised_aliases"], name="party_aliases_gin"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Derived columns only; rules live in services.
        self.normalised_name = normalise_name(self.name)
        self.normalised_aliases = [normalise_name(a) for a in self.aliases if a.strip()]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "normalised_name", "normalised_aliases"}
        super().save(*args, **kwargs)


class Representative(TimeStampedModel):
    class Authority(models.TextChoices):
        YES = "yes", _("May commit")
        REFER_BACK = "refer_back", _("Must refer back")

    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="representatives")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    languages = ArrayField(models.CharField(max_length=20), verbose_name=_("languages"), default=list, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    authority = models.CharField(
        _("authority to commit"), max_length=20, choices=Authority.choices, default=Authority.REFER_BACK
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.party})"
