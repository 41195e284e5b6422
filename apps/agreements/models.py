"""Agreements, their text, who signed them, what they commit to, and how far it is done.

Modelled the way the peace-research field does (PA-X stages, the UCDP provision codes, the
Peace Accords Matrix implementation scale), so an organisation can set its own cases beside
public data. The rules live in services.py; see README.md in this folder for the tables.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class AgreementType(models.TextChoices):
    """PA-X's stages (Pre, SubPar, SubComp, Imp, Ren, Cea), plus the kinds mediators also meet."""

    CEASEFIRE = "ceasefire", _("Ceasefire")
    PRE_NEGOTIATION = "pre_negotiation", _("Pre-negotiation / process")
    FRAMEWORK = "framework", _("Framework / partial")
    COMPREHENSIVE = "comprehensive", _("Comprehensive")
    IMPLEMENTATION = "implementation", _("Implementation")
    MOU = "memorandum_of_understanding", _("Memorandum of understanding")
    CONFIDENCE_BUILDING = "confidence_building", _("Confidence-building measures")
    RENEWAL = "renewal", _("Renewal")
    UNILATERAL = "unilateral_declaration", _("Unilateral declaration")


class AgreementStatus(models.TextChoices):
    DRAFTING = "drafting", _("Drafting")
    INITIALLED = "initialled", _("Initialled")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    SUPERSEDED = "superseded", _("Superseded")


# The workflow. Drafting may go straight to signed: many texts are never initialled.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AgreementStatus.DRAFTING: (AgreementStatus.INITIALLED, AgreementStatus.SIGNED),
    AgreementStatus.INITIALLED: (AgreementStatus.DRAFTING, AgreementStatus.SIGNED),
    AgreementStatus.SIGNED: (AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED,
                             AgreementStatus.SUPERSEDED),
    AgreementStatus.IN_FORCE: (AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED, AgreementStatus.SUPERSEDED),
    AgreementStatus.SUSPENDED: (AgreementStatus.IN_FORCE, AgreementStatus.TERMINATED, AgreementStatus.SUPERSEDED),
    AgreementStatus.TERMINATED: (),
    AgreementStatus.SUPERSEDED: (),
}
# Statuses in which the text is the signed text: new versions only through an amendment.
SIGNED_STATUSES = (
    AgreementStatus.SIGNED, AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED,
    AgreementStatus.TERMINATED, AgreementStatus.SUPERSEDED,
)
AMENDABLE_STATUSES = (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED)


class DatePrecision(models.TextChoices):
    """UCDP gives some dates as a year or a month; the date stored is then the first day."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class ImportSource(models.TextChoices):
    NONE = "", _("Entered in PeaceCase")
    UCDP = "ucdp", _("UCDP Peace Agreement Dataset")
    PAX = "pax", _("PA-X Peace Agreements Database")


class Agreement(TimeStampedModel):
    Type = AgreementType
    Status = AgreementStatus

    # Denormalised from the dispute: external ids are unique per organisation, and the audit
    # trail files each event under it without a join.
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="agreements"
    )
    dispute = models.ForeignKey(
        "disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="agreements"
    )
    title = models.CharField(_("title"), max_length=500)
    type = models.CharField(_("type"), max_length=30, choices=AgreementType.choices)
    status = models.CharField(_("status"), max_length=12, choices=AgreementStatus.choices,
                              default=AgreementStatus.DRAFTING)
    summary = models.TextField(_("summary"), blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_on_precision = models.CharField(
        _("precision of the signing date"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    languages = ArrayField(models.CharField(max_length=10), verbose_name=_("languages"), default=list, blank=True)
    in_force_on = models.DateField(_("in force from"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    third_parties = models.ManyToManyField(
        "parties.Party", verbose_name=_("third parties and mediators"), blank=True,
        related_name="agreements_as_third_party",
    )
    # What the datasets say, kept verbatim: their party fields are free text with names and titles.
    signatories_text = models.TextField(_("signatories as published"), blank=True)
    third_parties_text = models.TextField(_("third parties as published"), blank=True)
    source_url = models.URLField(_("full text"), max_length=500, blank=True)
    pax_agt_id = models.CharField(_("PA-X agreement id (AgtId)"), max_length=20, blank=True)
    ucdp_paid = models.CharField(_("UCDP agreement id (paid)"), max_length=20, blank=True)
    import_source = models.CharField(_("imported from"), max_length=4, choices=ImportSource.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=AgreementType.values), name="agreement_type_valid"),
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=SIGNED_STATUSES) | Q(signed_on__isnull=False),
                name="agreement_signed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(signed_on__isnull=True) | Q(ended_on__gte=F("signed_on")),
                name="agreement_ends_after_signing",
            ),
            models.UniqueConstraint(
                fields=["organisation", "pax_agt_id"], condition=~Q(pax_agt_id=""), name="agreement_unique_pax_id"
            ),
            models.UniqueConstraint(
                fields=["organisation", "ucdp_paid"], condition=~Q(ucdp_paid=""), name="agreement_unique_ucdp_id"
            ),
        ]
        indexes = [
            models.Index(fields=["dispute", "-signed_on"], name="agreement_dispute_signed"),
            models.Index(fields=["organisation", "status"], name="agreement_org_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def text_is_frozen(self) -> bool:
        return self.status in SIGNED_STATUSES

    @property
    def is_unilateral(self) -> bool:
        return self.type == AgreementType.UNILATERAL


class AgreementLink(models.Model):
    """``from_agreement`` supersedes / implements / renews ``to_agreement``."""

    class Kind(models.TextChoices):
        SUPERSEDES = "supersedes", _("supersedes")
        IMPLEMENTS = "implements", _("implements")
        RENEWS = "renews", _("renews")

    from_agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="links_out")
    to_agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement link")
        verbose_name_plural = _("agreement links")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["from_agreement", "to_agreement", "kind"], name="agreementlink_unique"),
            models.CheckConstraint(condition=~Q(from_agreement=F("to_agreement")), name="agreementlink_not_self"),
            models.CheckConstraint(condition=Q(kind__in=["supersedes", "implements", "renews"]),
                                   name="agreementlink_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.from_agreement_id} {self.kind} {self.to_agreement_id}"


class AgreementVersion(models.Model):
    """One state of the text. Never overwritten: each version names the one it was based on.

    The constraints make the chain linear in the database itself: one first version per
    agreement, and no two versions on the same base (a second writer on a stale base fails).
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    based_on = models.OneToOneField(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.PROTECT, related_name="successor"
    )
    text = models.TextField(_("text"))
    change_summary = models.CharField(_("change summary"), max_length=500, blank=True)
    is_amendment = models.BooleanField(_("amendment of the signed text"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    author_label = models.CharField(_("author"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreementversion_unique_number"),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(based_on__isnull=True), name="agreementversion_one_first"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="agreementversion_number_positive"),
            models.CheckConstraint(
                condition=Q(number=1, based_on__isnull=True) | Q(number__gt=1, based_on__isnull=False),
                name="agreementversion_first_has_no_base",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Agreement versions are never overwritten; add a new version.")
        super().save(*args, **kwargs)


class Signatory(models.Model):
    class Role(models.TextChoices):
        SIGNATORY = "signatory", _("Signatory")
        WITNESS = "witness", _("Witness")
        GUARANTOR = "guarantor", _("Guarantor")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("party"), on_delete=models.PROTECT, related_name="signatures"
    )
    representative = models.ForeignKey(
        "parties.Representative", verbose_name=_("representative"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="signatures",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.SIGNATORY)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party", "role"], name="signatory_unique_party_role"),
            models.CheckConstraint(condition=Q(role__in=["signatory", "witness", "guarantor"]),
                                   name="signatory_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.party} ({self.get_role_display()})"


class ProvisionCategory(models.TextChoices):
    """The fixed list; importers/mapping.py maps the UCDP and PA-X codes onto it."""

    CEASEFIRE = "ceasefire", _("Ceasefire")
    DDR = "ddr", _("Disarmament, demobilisation and reintegration")
    ARMS_CONTROL = "arms_control", _("Arms control")
    WITHDRAWAL = "withdrawal", _("Withdrawal of forces")
    POWER_SHARING = "power_sharing", _("Power sharing")
    ELECTIONS = "elections", _("Elections")
    CONSTITUTIONAL_REFORM = "constitutional_reform", _("Constitutional reform")
    DECENTRALISATION = "decentralisation", _("Decentralisation / autonomy")
    TRANSITIONAL_JUSTICE = "transitional_justice", _("Transitional justice")
    AMNESTY = "amnesty", _("Amnesty")
    PRISONER_RELEASE = "prisoner_release", _("Prisoner release")
    HUMAN_RIGHTS = "human_rights", _("Human rights")
    GENDER = "gender", _("Gender")
    REFUGEES = "refugees_idps", _("Refugees and displaced persons")
    SOCIO_ECONOMIC = "socio_economic", _("Socio-economic development")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources")
    VERIFICATION = "verification", _("Verification and monitoring")
    CONFIDENCE_BUILDING = "confidence_building", _("Confidence-building measure")
    PEACEKEEPING = "peacekeeping", _("Peacekeeping")
    OTHER = "other", _("Other")


class ImplementationLevel(models.IntegerChoices):
    """The Peace Accords Matrix scale (Kroc Institute)."""

    NOT_INITIATED = 0, _("Not initiated")
    MINIMAL = 1, _("Minimal")
    INTERMEDIATE = 2, _("Intermediate")
    FULL = 3, _("Full")


class Provision(TimeStampedModel):
    Category = ProvisionCategory

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="provisions")
    label = models.CharField(_("number or label"), max_length=40, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("text or summary"))
    category = models.CharField(_("category"), max_length=30, choices=ProvisionCategory.choices)
    responsible_parties = models.ManyToManyField(
        "parties.Party", verbose_name=_("responsible parties"), blank=True, related_name="provisions_responsible"
    )
    verifier_party = models.ForeignKey(
        "parties.Party", verbose_name=_("verifier (party)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="provisions_verified",
    )
    verifier_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("verifier (organisation)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="provisions_verified",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # "ucdp:cease", "pax:Ce": which dataset flag produced the provision; the importer's key.
    source_code = models.CharField(_("dataset code"), max_length=40, blank=True)
    # The latest assessment (by date, then by id), kept by a database trigger on the assessments
    # (migration 0002), so lists, roll-ups and the overdue query read a column instead of
    # looking up every provision's history; nothing in Python writes these two.
    current_score = models.PositiveSmallIntegerField(
        _("current score"), choices=ImplementationLevel.choices, null=True, blank=True, editable=False
    )
    current_assessed_on = models.DateField(_("last assessed on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")
        ordering = ["agreement", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=ProvisionCategory.values), name="provision_category_valid"),
            models.CheckConstraint(
                condition=Q(verifier_party__isnull=True) | Q(verifier_organisation__isnull=True),
                name="provision_one_verifier",
            ),
            models.UniqueConstraint(
                fields=["agreement", "source_code"], condition=~Q(source_code=""), name="provision_unique_source_code"
            ),
            models.CheckConstraint(
                condition=Q(current_score__isnull=True) | Q(current_score__gte=0, current_score__lte=3),
                name="provision_current_score_0_3",
            ),
        ]
        indexes = [
            models.Index(fields=["agreement", "category"], name="provision_agreement_category"),
            # The overdue query: a passed deadline and not fully implemented.
            models.Index(fields=["deadline"],
                         condition=Q(deadline__isnull=False) & (Q(current_score__isnull=True) | Q(current_score__lt=3)),
                         name="provision_open_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.text[:60]}".strip()

    def save(self, *args, **kwargs):
        # The current score belongs to the trigger: a full save of a stale instance must not undo it.
        if self.pk is not None and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in ("current_score", "current_assessed_on")
            ]
        super().save(*args, **kwargs)


class ImplementationAssessment(models.Model):
    """One dated judgement of how far a provision is implemented. The latest is the current score."""

    Level = ImplementationLevel

    provision = models.ForeignKey(Provision, on_delete=models.CASCADE, related_name="assessments")
    score = models.PositiveSmallIntegerField(
        _("score"), choices=ImplementationLevel.choices, validators=[MinValueValidator(0), MaxValueValidator(3)]
    )
    assessed_on = models.DateField(_("assessed on"))
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    narrative = models.TextField(_("narrative"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    assessed_by_label = models.CharField(_("assessed by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("implementation assessment")
        verbose_name_plural = _("implementation assessments")
        ordering = ["provision", "-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=3), name="assessment_score_0_3"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="assessment_period_ordered",
            ),
        ]
        indexes = [
            # "The latest assessment of each provision": the current score and every roll-up.
            models.Index(F("provision"), F("assessed_on").desc(), F("id").desc(), name="assessment_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.provision_id}: {self.score} on {self.assessed_on}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Assessments are history: record a new one instead of changing this one.")
        super().save(*args, **kwargs)
