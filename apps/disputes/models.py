from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel
from apps.parties.models import validate_country_code


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSMENT = "assessment", _("Assessment")
    PRE_NEGOTIATION = "pre_negotiation", _("Pre-negotiation")
    NEGOTIATION = "negotiation", _("Negotiation")
    AGREEMENT = "agreement", _("Agreement")
    IMPLEMENTATION = "implementation", _("Implementation")
    CLOSED = "closed", _("Closed")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STAGES = [
    Stage.INTAKE, Stage.ASSESSMENT, Stage.PRE_NEGOTIATION, Stage.NEGOTIATION, Stage.AGREEMENT, Stage.IMPLEMENTATION,
]
FORWARD = {
    Stage.INTAKE: Stage.ASSESSMENT,
    Stage.ASSESSMENT: Stage.PRE_NEGOTIATION,
    Stage.PRE_NEGOTIATION: Stage.NEGOTIATION,
    Stage.NEGOTIATION: Stage.AGREEMENT,
    Stage.AGREEMENT: Stage.IMPLEMENTATION,
    Stage.IMPLEMENTATION: Stage.CLOSED,
}


class DisputeType(models.TextChoices):
    TERRITORIAL = "territorial", _("Territorial")
    GOVERNANCE = "governance", _("Governance / power")
    RESOURCES = "resources", _("Resources / economic")
    IDENTITY = "identity", _("Identity / ethnic / religious")
    SECURITY = "security", _("Security / arms control")
    TRADE = "trade", _("Trade")
    HUMAN_RIGHTS = "human_rights", _("Human rights")
    ENVIRONMENT = "environment", _("Environment / climate")
    OTHER = "other", _("Other")


class ProcessFormat(models.TextChoices):
    BILATERAL = "bilateral_negotiation", _("Bilateral negotiation")
    MULTILATERAL = "multilateral_dialogue", _("Multilateral dialogue")
    MEDIATION = "mediation", _("Mediation")
    SHUTTLE = "shuttle_diplomacy", _("Shuttle diplomacy")
    FACILITATION = "facilitation", _("Facilitation")
    GOOD_OFFICES = "good_offices", _("Good offices")


class Track(models.TextChoices):
    T1 = "1", _("Track 1")
    T15 = "1.5", _("Track 1.5")
    T2 = "2", _("Track 2")
    T3 = "3", _("Track 3")


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Confidentiality(models.TextChoices):
    STANDARD = "standard", _("Standard")
    RESTRICTED = "restricted", _("Restricted")


class RootCause(models.TextChoices):
    GOVERNANCE = "governance", _("Governance")
    INEQUALITY = "socio_economic_inequality", _("Socio-economic inequality")
    IDENTITY = "identity", _("Identity")
    RESOURCES = "resources", _("Resources")
    SECURITY = "security", _("Security")
    CLIMATE_MIGRATION = "climate_migration", _("Climate-induced migration")
    VIOLENT_EXTREMISM = "violent_extremism", _("Violent extremism")
    CYBER = "cyber_threats", _("Cyber threats")


class ClosureReason(models.TextChoices):
    AGREEMENT = "agreement_reached", _("Agreement reached")
    PARTIES_WITHDREW = "parties_withdrew", _("Parties withdrew")
    REFERRED = "referred_elsewhere", _("Referred elsewhere")
    ENDED = "ended_without_agreement", _("Mediation ended without agreement")
    OVERTAKEN = "overtaken_by_events", _("Overtaken by events")


class Dispute(TimeStampedModel):
    """One conflict the organisation works on (a "case")."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="disputes"
    )
    reference = models.CharField(_("reference"), max_length=20, editable=False)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    dispute_types = ArrayField(
        models.CharField(max_length=20, choices=DisputeType.choices), verbose_name=_("dispute types"),
        default=list, blank=True,
    )
    countries = ArrayField(
        models.CharField(max_length=2, validators=[validate_country_code]), verbose_name=_("countries"),
        default=list, blank=True,
    )
    process_format = models.CharField(
        _("process format"), max_length=30, choices=ProcessFormat.choices, default=ProcessFormat.MEDIATION
    )
    track = models.CharField(_("track"), max_length=3, choices=Track.choices, default=Track.T1)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.INTAKE)
    stage_before_suspension = models.CharField(max_length=20, choices=Stage.choices, blank=True, editable=False)
    risk = models.CharField(_("escalation risk"), max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.STANDARD
    )
    root_causes = ArrayField(
        models.CharField(max_length=30, choices=RootCause.choices), verbose_name=_("root causes"),
        default=list, blank=True,
    )
    root_causes_other = models.CharField(_("other root causes"), max_length=500, blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=30, choices=ClosureReason.choices, blank=True)
    ucdp_conflict_id = models.CharField(_("UCDP conflict id"), max_length=40, blank=True)
    pax_process_id = models.CharField(_("PA-X peace process id"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="dispute_unique_reference_per_org"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="dispute_closed_after_opened",
                violation_error_message=_("A dispute cannot close before it opened."),
            ),
            # A closed dispute says when and why; an open (or suspended, withdrawn) one says neither.
            models.CheckConstraint(
                condition=(Q(stage="closed", closed_on__isnull=False) & ~Q(closure_reason=""))
                | (~Q(stage="closed") & Q(closed_on__isnull=True, closure_reason="")),
                name="dispute_closure_consistent",
                violation_error_message=_("A closed dispute needs a closing date and a closure reason."),
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="dispute_stage_valid"),
            models.CheckConstraint(condition=Q(risk__in=Risk.values), name="dispute_risk_valid"),
            models.CheckConstraint(
                condition=Q(confidentiality__in=Confidentiality.values), name="dispute_confidentiality_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "stage"], name="dispute_org_stage"),
            models.Index(fields=["organisation", "-updated_at"], name="dispute_org_updated"),
            GinIndex(fields=["countries"], name="dispute_countries_gin"),
            GinIndex(fields=["dispute_types"], name="dispute_types_gin"),
            # Serves the disputes page's full-text search (apps/dashboard/selectors.SEARCH_VECTOR).
            GinIndex(SearchVector("title", "summary", config="simple"), name="dispute_search_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_restricted(self) -> bool:
        return self.confidentiality == Confidentiality.RESTRICTED


class ReferenceCounter(models.Model):
    """Last reference number per organisation and year; locked row, so numbers never collide."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="refcounter_unique")]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last}"


class StageChange(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    by_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dispute", "-created_at"], name="stagechange_dispute_created")]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


class RiskAssessment(models.Model):
    """Dated history of the escalation risk."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="risk_history")
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    previous = models.CharField(_("previous"), max_length=10, choices=Risk.choices, blank=True)
    assessed_on = models.DateField(_("assessed on"))
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["assessed_on", "id"]

    def __str__(self) -> str:
        return f"{self.assessed_on}: {self.risk}"


class NegotiationIssue(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AGREED = "agreed", _("Agreed")
        PARKED = "parked", _("Parked")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="issues", verbose_name=_("dispute"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("negotiation issue")
        verbose_name_plural = _("negotiation issues")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                "dispute", Lower("title"), name="issue_unique_title_per_dispute",
                violation_error_message=_("The dispute already has an issue with this title."),
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "agreed", "parked"]), name="issue_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class CaseParty(TimeStampedModel):
    class Role(models.TextChoices):
        CONFLICT_PARTY = "conflict_party", _("Conflict party")
        THIRD_PARTY = "third_party", _("Third party")
        MEDIATING_INSTITUTION = "mediating_institution", _("Mediating institution")
        GUARANTOR = "guarantor", _("Guarantor")
        OBSERVER = "observer", _("Observer")
        FACILITATOR = "facilitator", _("Facilitator")
        DONOR = "donor", _("Donor")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="case_parties")
    party = models.ForeignKey("parties.Party", on_delete=models.PROTECT, related_name="case_roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.CONFLICT_PARTY)
    red_lines = models.TextField(_("red lines"), blank=True)

    class Meta:
        verbose_name = _("case party")
        verbose_name_plural = _("case parties")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["dispute", "party"], name="caseparty_unique")]

    def __str__(self) -> str:
        return f"{self.party} ({self.get_role_display()})"


class PartyPosition(TimeStampedModel):
    """What a party says it wants on an issue (position) and why (interests)."""

    case_party = models.ForeignKey(CaseParty, on_delete=models.CASCADE, related_name="positions")
    issue = models.ForeignKey(NegotiationIssue, on_delete=models.CASCADE, related_name="positions")
    position = models.TextField(_("position"), blank=True)
    interests = models.TextField(_("interests"), blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [models.UniqueConstraint(fields=["case_party", "issue"], name="position_unique")]

    def __str__(self) -> str:
        return f"{self.case_party_id} on {self.issue_id}"


class CaseTeamMember(TimeStampedModel):
    class Role(models.TextChoices):
        LEAD_MEDIATOR = "lead_mediator", _("Lead mediator")
        CO_MEDIATOR = "co_mediator", _("Co-mediator")
        CASE_OFFICER = "case_officer", _("Case officer")
        ADVISER = "adviser", _("Adviser")
        OBSERVER = "observer", _("Observer")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    affiliations = ArrayField(
        models.CharField(max_length=300), verbose_name=_("declared affiliations"), default=list, blank=True
    )
    no_conflict_declared = models.BooleanField(_("declared no conflict of interest"), default=False)
    conflict_override_reason = models.TextField(_("conflict override reason"), blank=True)
    conflict_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("case team member")
        verbose_name_plural = _("case team members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "user"], condition=Q(active=True), name="team_unique_active_member"
            ),
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(active=True, role="lead_mediator"), name="team_one_active_lead"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="team_ends_after_start",
                violation_error_message=_("A team assignment cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["user", "dispute"], condition=Q(active=True), name="team_active_user")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class CaseShare(TimeStampedModel):
    class Level(models.TextChoices):
        READ = "read", _("Read")
        CONTRIBUTE = "contribute", _("Contribute")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="shared_disputes",
        verbose_name=_("shared with"),
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.READ)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("case share")
        verbose_name_plural = _("case shares")
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "organisation"], condition=Q(revoked_at__isnull=True), name="share_unique_active"
            ),
            models.CheckConstraint(condition=Q(level__in=["read", "contribute"]), name="share_level_valid"),
        ]
        indexes = [
            models.Index(fields=["organisation", "dispute"], condition=Q(revoked_at__isnull=True),
                         name="share_active_org"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute} → {self.organisation} ({self.level})"


class Departure(models.Model):
    """A row that left some callers' view: deleted, a dispute restricted, a share revoked.

    Written only by the PostgreSQL triggers of migration 0005 (every write path passes there), read by
    the API's change feed (``GET /api/v1/changes/``), which says *that* an id left the caller's view,
    never why. ``organisation_id`` is whose callers may have lost it (null: whoever sees the dispute);
    the feed still drops ids the caller can see again.
    """

    resource = models.CharField(_("resource"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    # Plain ids, not foreign keys: the dispute or organisation may be gone when the feed is read.
    dispute_id = models.BigIntegerField(_("dispute id"), null=True, blank=True)
    organisation_id = models.BigIntegerField(_("organisation id"), null=True, blank=True)
    # A restricted dispute's departure (deleted, or a member left its team): only its admins and
    # (former) case team ever saw it, so only they hear of it; nobody else learns the id existed.
    restricted = models.BooleanField(_("restricted"), default=False)
    left_at = models.DateTimeField(_("left at"), db_default=models.Func(function="clock_timestamp"))

    class Meta:
        verbose_name = _("departure")
        verbose_name_plural = _("departures")
        indexes = [
            models.Index(fields=["organisation_id", "left_at"], name="departure_org_left"),
            models.Index(fields=["dispute_id", "left_at"], name="departure_dispute_left"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.object_id} left at {self.left_at}"
