"""Reads of agreements and their implementation, scoped through apps/disputes/selectors.py.

An agreement, its versions, signatories, provisions and assessments are visible exactly when
the dispute is. A provision's current score is its latest assessment, which a database trigger
keeps in ``Provision.current_score``; the roll-ups are single aggregate queries over it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf
from django.http import Http404
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.agreements.diff import VersionDiff, diff_texts
from apps.agreements.models import (
    Agreement,
    AgreementLink,
    AgreementVersion,
    ImplementationAssessment,
    Provision,
    Signatory,
)
from apps.disputes.selectors import dispute_ids_visible
from apps.parties.models import Party

LEVELS = (0, 1, 2, 3)
# Provisions of agreements that no longer bind anyone are never overdue.
_ENDED = ("terminated", "superseded")


def _overdue_q(today: dt.date) -> Q:
    return Q(deadline__lt=today) & (Q(current_score__isnull=True) | Q(current_score__lt=3))


def with_current_score(qs: QuerySet[Provision], *, today: dt.date | None = None) -> QuerySet[Provision]:
    """Annotate is_overdue: deadline passed and not fully implemented (``current_score`` is a column,
    kept equal to the latest assessment by a trigger; see the Provision model)."""
    today = today or timezone.localdate()
    return qs.annotate(
        is_overdue=Case(When(_overdue_q(today), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


# --- agreements ---------------------------------------------------------------------------------


def agreements_visible(*, actor: Actor) -> QuerySet[Agreement]:
    return Agreement.objects.filter(dispute__in=dispute_ids_visible(actor=actor))


def agreement_list(*, actor: Actor, dispute_id: int | None = None, filters: dict | None = None) -> QuerySet[Agreement]:
    """Agreements with their dispute, provision count and latest version number: one query."""
    provisions = Provision.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    qs = (
        agreements_visible(actor=actor)
        .select_related("dispute")
        .annotate(
            provision_count=Subquery(provisions.annotate(n=Count("pk")).values("n")[:1]),
            latest_version=Subquery(
                AgreementVersion.objects.filter(agreement=OuterRef("pk")).order_by("-number").values("number")[:1]
            ),
        )
    )
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    f = filters or {}
    if f.get("status"):
        qs = qs.filter(status__in=f["status"] if isinstance(f["status"], list | tuple) else [f["status"]])
    if f.get("type"):
        qs = qs.filter(type=f["type"])
    if f.get("q"):
        term = str(f["q"]).strip()
        qs = qs.filter(Q(title__icontains=term) | Q(pax_agt_id=term) | Q(ucdp_paid=term))
    return qs


def agreement_detail(*, actor: Actor, today: dt.date | None = None) -> QuerySet[Agreement]:
    """One agreement with everything its page shows, in a constant number of queries (8).

    Versions come without their text (the latest text is annotated); provisions carry their
    current score; links to agreements the caller may not see are left out.
    """
    visible = dispute_ids_visible(actor=actor)
    provisions = with_current_score(Provision.objects.all(), today=today).select_related(
        "verifier_party", "verifier_organisation"
    ).prefetch_related(Prefetch("responsible_parties", queryset=Party.objects.order_by("name")))
    return (
        agreements_visible(actor=actor)
        .select_related("dispute", "organisation", "created_by")
        .annotate(
            latest_text=Subquery(
                AgreementVersion.objects.filter(agreement=OuterRef("pk")).order_by("-number").values("text")[:1]
            )
        )
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.defer("text").select_related("author").order_by("number"),
                to_attr="versions_loaded",
            ),
            Prefetch(
                "signatories",
                queryset=Signatory.objects.select_related("party", "representative").order_by("role", "id"),
                to_attr="signatories_loaded",
            ),
            Prefetch("provisions", queryset=provisions.order_by("order", "id"), to_attr="provisions_loaded"),
            Prefetch(
                "links_out",
                queryset=AgreementLink.objects.filter(to_agreement__dispute__in=visible).select_related(
                    "to_agreement"
                ),
                to_attr="links_out_loaded",
            ),
            Prefetch(
                "links_in",
                queryset=AgreementLink.objects.filter(from_agreement__dispute__in=visible).select_related(
                    "from_agreement"
                ),
                to_attr="links_in_loaded",
            ),
            Prefetch("third_parties", queryset=Party.objects.order_by("name"), to_attr="third_parties_loaded"),
        )
    )


# --- versions -----------------------------------------------------------------------------------


def agreement_version_list(*, actor: Actor, agreement_id: int) -> QuerySet[AgreementVersion]:
    return (
        AgreementVersion.objects.filter(agreement__dispute__in=dispute_ids_visible(actor=actor),
                                        agreement_id=agreement_id)
        .select_related("author")
        .order_by("number")
    )


def agreement_version_diff(*, actor: Actor, agreement_id: int, from_number: int, to_number: int) -> VersionDiff:
    """The diff between any two versions of a visible agreement (older or newer, either way round)."""
    versions = {
        v.number: v
        for v in agreement_version_list(actor=actor, agreement_id=agreement_id).filter(
            number__in=[from_number, to_number]
        )
    }
    if from_number not in versions or to_number not in versions:
        raise Http404("No such version.")
    return diff_texts(versions[from_number].text, versions[to_number].text, from_number=from_number,
                      to_number=to_number)


# --- signatories, provisions, assessments -------------------------------------------------------


def signatory_list(*, actor: Actor, agreement_id: int | None = None) -> QuerySet[Signatory]:
    qs = Signatory.objects.filter(agreement__dispute__in=dispute_ids_visible(actor=actor)).select_related(
        "party", "representative", "agreement"
    )
    return qs.filter(agreement_id=agreement_id) if agreement_id else qs


def provision_list(
    *, actor: Actor, agreement_id: int | None = None, dispute_id: int | None = None, today: dt.date | None = None
) -> QuerySet[Provision]:
    qs = with_current_score(
        Provision.objects.filter(agreement__dispute__in=dispute_ids_visible(actor=actor)), today=today
    ).select_related("agreement", "agreement__dispute", "verifier_party", "verifier_organisation")
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    if dispute_id:
        qs = qs.filter(agreement__dispute_id=dispute_id)
    return qs.order_by("agreement_id", "order", "id")


def provisions_overdue(
    *, actor: Actor, dispute_id: int | None = None, today: dt.date | None = None
) -> QuerySet[Provision]:
    """Deadline passed and not fully implemented (current score below 3, or never assessed).

    Only agreements that still bind (not terminated or superseded) count.
    """
    today = today or timezone.localdate()
    qs = provision_list(actor=actor, dispute_id=dispute_id, today=today).filter(_overdue_q(today)).exclude(
        agreement__status__in=_ENDED
    )
    return qs.order_by("deadline", "id")


def assessment_list(
    *, actor: Actor, provision_id: int | None = None, agreement_id: int | None = None
) -> QuerySet[ImplementationAssessment]:
    qs = ImplementationAssessment.objects.filter(
        provision__agreement__dispute__in=dispute_ids_visible(actor=actor)
    ).select_related("assessed_by")
    if provision_id:
        qs = qs.filter(provision_id=provision_id)
    if agreement_id:
        qs = qs.filter(provision__agreement_id=agreement_id)
    return qs.order_by("-assessed_on", "-id")


# --- roll-ups -----------------------------------------------------------------------------------

RollupBy = Literal["agreement", "category", "agreement_category"]
_GROUPS: dict[str, tuple[str, ...]] = {
    "agreement": ("agreement_id",),
    "category": ("category",),
    "agreement_category": ("agreement_id", "category"),
}


def implementation_rollup(
    *,
    actor: Actor,
    by: RollupBy = "agreement_category",
    agreement_id: int | None = None,
    dispute_id: int | None = None,
    today: dt.date | None = None,
) -> list[dict]:
    """Per agreement, per category, or both: how many provisions sit at each level, and the mean.

    One aggregate query. Each row holds ``total``, ``assessed``, ``not_assessed``,
    ``level_0``…``level_3`` (counts), ``share_0``…``share_3`` (of all provisions, 0–1),
    ``mean_score`` (over assessed provisions; None when none is) and ``overdue`` (deadline
    passed, below 3 or never assessed, agreement still binding).
    """
    if by not in _GROUPS:
        raise ValueError(f"unknown roll-up {by!r}")
    today = today or timezone.localdate()
    qs = Provision.objects.filter(agreement__dispute__in=dispute_ids_visible(actor=actor))
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    if dispute_id:
        qs = qs.filter(agreement__dispute_id=dispute_id)
    counts = {f"level_{n}": Count("pk", filter=Q(current_score=n)) for n in LEVELS}
    qs = (
        qs.order_by()
        .values(*_GROUPS[by])
        .annotate(
            total=Count("pk"),
            assessed=Count("current_score"),
            mean_score=Avg(Cast("current_score", FloatField())),
            overdue=Count("pk", filter=_overdue_q(today) & ~Q(agreement__status__in=_ENDED)),
            **counts,
        )
        .annotate(
            not_assessed=F("total") - F("assessed"),
            **{f"share_{n}": Cast(F(f"level_{n}"), FloatField()) / NullIf(F("total"), 0) for n in LEVELS},
        )
        .order_by(*_GROUPS[by])
    )
    return list(qs)
