"""Proposals and their counter-proposal threads, one thread per negotiation issue.

A separate app from sessions: a proposal has its own life cycle (tabled, considered by each
party, answered, superseded), its own deadline and a thread that runs across many sessions;
a session only records where it was tabled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class ProposalStatus(models.TextChoices):
    TABLED = "tabled", _("Tabled")
    UNDER_CONSIDERATION = "under_consideration", _("Under consideration")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded")


LIVE_STATUSES = (ProposalStatus.TABLED, ProposalStatus.UNDER_CONSIDERATION)


class Proposal(TimeStampedModel):
    Status = ProposalStatus

    dispute = models.ForeignKey(
        "disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="proposals"
    )
    issue = models.ForeignKey(
        "disputes.NegotiationIssue", verbose_name=_("issue"), on_delete=models.PROTECT, related_name="proposals"
    )
    # Null for the mediator's bridging proposal.
    tabled_by = models.ForeignKey(
        "disputes.CaseParty", verbose_name=_("tabled by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="proposals",
    )
    bridging = models.BooleanField(_("mediator's bridging proposal"), default=False)
    tabled_in = models.ForeignKey(
        "mediation_sessions.MediationSession", verbose_name=_("tabled in"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="proposals",
    )
    responds_to = models.ForeignKey(
        "self", verbose_name=_("responds to"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="counter_proposals",
    )
    text = models.TextField(_("text"))
    concessions = models.TextField(_("concessions"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ProposalStatus.choices,
                              default=ProposalStatus.TABLED)
    tabled_at = models.DateTimeField(_("tabled at"))
    response_deadline = models.DateTimeField(_("response deadline"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["tabled_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"),
            models.CheckConstraint(
                condition=Q(bridging=True, tabled_by__isnull=True) | Q(bridging=False, tabled_by__isnull=False),
                name="proposal_party_or_bridging",
            ),
            models.CheckConstraint(condition=~Q(responds_to=models.F("pk")), name="proposal_not_own_parent"),
            models.CheckConstraint(
                condition=Q(response_deadline__isnull=True) | Q(response_deadline__gt=models.F("tabled_at")),
                name="proposal_deadline_after_tabled",
            ),
        ]
        indexes = [
            models.Index(fields=["dispute", "-tabled_at"], name="proposal_dispute_tabled"),
            models.Index(fields=["issue", "tabled_at"], name="proposal_issue_tabled"),
            models.Index(fields=["response_deadline"], condition=Q(status__in=["tabled", "under_consideration"]),
                         name="proposal_live_deadline"),
        ]

    def __str__(self) -> str:
        # Never the text: this label lands in audit events and webhook-adjacent logs.
        return str(_("Proposal #%(id)s") % {"id": self.pk})

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class ProposalResponse(TimeStampedModel):
    """Where one party stands on a proposal: considering it, accepted, rejected, or answered it with a counter."""

    class Stance(models.TextChoices):
        CONSIDERING = "considering", _("Considering")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        COUNTERED = "countered", _("Answered with a counter-proposal")

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE,
                                 related_name="responses")
    case_party = models.ForeignKey("disputes.CaseParty", verbose_name=_("party"), on_delete=models.PROTECT,
                                   related_name="+")
    stance = models.CharField(_("stance"), max_length=12, choices=Stance.choices)
    responded_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("proposal response")
        verbose_name_plural = _("proposal responses")
        ordering = ["responded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "case_party"], name="proposalresponse_unique"),
            models.CheckConstraint(condition=Q(stance__in=["considering", "accepted", "rejected", "countered"]),
                                   name="proposalresponse_stance_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.case_party_id} {self.stance}"
