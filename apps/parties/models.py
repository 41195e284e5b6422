from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries as country_registry
from django_countries.fields import CountryField

from apps.accounts.models import validate_time_zone
from apps.common.models import TimeStampedModel
from apps.common.text import strip_format_characters

# Typographic variants people type interchangeably in names ("Côte d’Ivoire", "Al‐Shabaab").
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


# The kinds, for the check constraint (Meta cannot see Party.Kind); a test keeps the two in step.
PARTY_KINDS = [
    "state", "government_body", "non_state_armed_group", "political_party", "civil_society", "community",
    "individual", "international_organisation", "regional_organisation", "ngo", "business",
]


def normalise_name(value: str) -> str:
    """The form of a name used for de-duplication, alias search and the conflict-of-interest check.

    Case, accents, compatibility forms (full-width letters, ligatures), typographic quotes and
    dashes, and runs of white space do not distinguish two names: "Côte  d’Ivoire" and
    "cote d'ivoire" are the same party.
    """
    value = unicodedata.normalize("NFKD", strip_format_characters(value or ""))  # zero-width, bidi controls
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    value = unicodedata.normalize("NFKC", value).casefold().translate(_FOLD)
    return re.sub(r"\s+", " ", value).strip()


def validate_country_code(value: str) -> None:
    if value and value not in country_registry:
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 country code."), params={"value": value}, code="country"
        )


def validate_language_code(value: str) -> None:
    if not _LANGUAGE_CODE.match(value or ""):
        raise ValidationError(
            _("“%(value)s” is not a language code (such as “ar”, “fr” or “pt-br”)."),
            params={"value": value}, code="language",
        )


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
    # Derived from name/aliases on save (blank=True: full_clean runs before save fills them).
    normalised_name = models.CharField(max_length=300, editable=False, blank=True)
    aliases = ArrayField(models.CharField(max_length=300), verbose_name=_("aliases"), default=list, blank=True)
    normalised_aliases = ArrayField(models.CharField(max_length=300), default=list, editable=False, blank=True)
    country = CountryField(_("country"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    pax_name = models.CharField(_("external name"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "normalised_name"], name="party_unique_name_per_org"),
            models.CheckConstraint(condition=Q(kind__in=PARTY_KINDS), name="party_kind_valid"),
        ]
        indexes = [
            GinIndex(fields=["normalised_aliases"], name="party_aliases_gin"),
            models.Index(fields=["organisation", "name"], name="party_org_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def match_names(self) -> set[str]:
        """Normalised name and aliases: what an affiliation or a search term is compared with."""
        return {normalise_name(self.name), *(normalise_name(a) for a in self.aliases if a.strip())}

    def save(self, *args, **kwargs):
        # Derived columns only; rules live in services.
        self.normalised_name = normalise_name(self.name)
        self.normalised_aliases = list(dict.fromkeys(normalise_name(a) for a in self.aliases if a.strip()))
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
    languages = ArrayField(
        models.CharField(max_length=20, validators=[validate_language_code]), verbose_name=_("languages"),
        default=list, blank=True,
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    authority = models.CharField(
        _("authority to commit"), max_length=20, choices=Authority.choices, default=Authority.REFER_BACK
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(authority__in=["yes", "refer_back"]), name="representative_authority_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party})"
