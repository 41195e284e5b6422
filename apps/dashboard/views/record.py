"""The dispute's record as a whole: the paginated timeline and the printable case summary."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.agreements.selectors import agreement_list
from apps.common.errors import ApplicationError
from apps.dashboard.views._common import is_htmx
from apps.disputes.models import Dispute
from apps.disputes.selectors import dispute_detail
from apps.negotiations.selectors import issue_current_texts
from apps.sessions.selectors import action_item_list, dispute_timeline, session_list

TIMELINE_PAGE = 20
SUMMARY_LIMIT = 200


def _dispute(request: HttpRequest, pk: int) -> Dispute:
    dispute = dispute_detail(actor=request.actor).filter(pk=pk).first()
    if dispute is None:
        raise Http404
    return dispute


@member_required
@require_GET
def dispute_timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _dispute(request, pk)
    try:
        page = dispute_timeline(actor=request.actor, dispute_id=dispute.pk, cursor=request.GET.get("cursor") or None,
                                limit=TIMELINE_PAGE)
    except ApplicationError as exc:
        raise Http404(str(exc.message)) from exc
    template = "sessions/_timeline_entries.html" if is_htmx(request) else "sessions/timeline.html"
    return render(request, template, {"dispute": dispute, "page": page})


@member_required
@require_GET
def dispute_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """One printable page: the facts, the parties, what is on the table per issue, sessions, agreements.

    Notes are left out: a printed page leaves the system, and team-only words must not travel on it.
    """
    actor = request.actor
    dispute = _dispute(request, pk)
    return render(request, "sessions/case_summary.html", {
        "dispute": dispute,
        "issues": list(issue_current_texts(actor=actor, dispute_id=dispute.pk)),
        "sessions": list(session_list(actor=actor, dispute_id=dispute.pk)[:SUMMARY_LIMIT]),
        "agreements": list(agreement_list(actor=actor, dispute_id=dispute.pk).order_by("-signed_on", "-id")),
        "actions": list(action_item_list(actor=actor, dispute_id=dispute.pk, open_only=True)[:SUMMARY_LIMIT]),
        "printed_at": timezone.now(),
    })
