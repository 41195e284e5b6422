"""The case workspace: one dispute, made of sections.

A section is one template under templates/disputes/sections/ and one loader that calls
one selector and returns the template's context. To add a section (sessions,
proposals, agreements, reminders...):

1. write ``templates/disputes/sections/<key>.html`` (it receives ``dispute``,
   ``can_write``, ``actor`` and the loader's dict as ``data``);
2. write a loader ``def _load_<key>(ctx: SectionContext) -> dict`` calling your app's
   selector (scoped through apps.disputes.selectors, with its select/prefetch);
3. add ``Section("<key>", _("Title"), _load_<key>)`` to SECTIONS where it belongs.

Loaders must run a fixed number of queries: the workspace's query count is pinned in
tests/dashboard/test_workspace.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import Actor
from apps.dashboard import forms as web_forms
from apps.dashboard import selectors
from apps.disputes.models import Dispute
from apps.disputes.policies import actor_may_manage_team
from apps.disputes.selectors import case_share_list


@dataclass
class SectionContext:
    actor: Actor
    dispute: Dispute
    can_write: bool
    # Bound forms that failed validation, by name, so the user keeps what they typed.
    bound: dict[str, Any] = field(default_factory=dict)

    def form(self, name: str, factory: Callable[[], Any]) -> Any:
        return self.bound.get(name) or factory()


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    load: Callable[[SectionContext], dict[str, Any]]
    visible: Callable[[SectionContext], bool] = lambda ctx: True

    @property
    def template(self) -> str:
        return f"disputes/sections/{self.key}.html"


def optional_selector(module: str, name: str) -> Callable[..., Any] | None:
    """A selector of an app that may not have it yet (built in parallel); None until it exists."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# --- loaders --------------------------------------------------------------------------------------------


def _load_parties(ctx: SectionContext) -> dict[str, Any]:
    case_parties = list(selectors.workspace_parties(actor=ctx.actor, dispute=ctx.dispute))
    issues = list(ctx.dispute.issues.all())  # prefetched by dispute_detail
    rows = []
    for cp in case_parties:
        by_issue = {p.issue_id: p for p in cp.positions_loaded}
        rows.append({"case_party": cp, "positions": [(issue, by_issue.get(issue.pk)) for issue in issues]})
    data: dict[str, Any] = {"rows": rows, "issues": issues}
    if ctx.can_write:
        data["party_form"] = ctx.form(
            "party_add", lambda: web_forms.CasePartyAddForm(organisation=ctx.dispute.organisation)
        )
    return data


def _load_issues(ctx: SectionContext) -> dict[str, Any]:
    data: dict[str, Any] = {"issues": list(ctx.dispute.issues.all())}
    if ctx.can_write:
        data["issue_form"] = ctx.form("issue_add", web_forms.IssueCreateForm)
    return data


def _load_team(ctx: SectionContext) -> dict[str, Any]:
    data: dict[str, Any] = {"members": list(selectors.workspace_team(actor=ctx.actor, dispute=ctx.dispute))}
    # Contributor organisations write in a dispute but do not choose the owner's case team.
    data["can_manage"] = ctx.can_write and actor_may_manage_team(
        actor=ctx.actor, dispute=ctx.dispute, team=ctx.dispute.leads_loaded)
    if data["can_manage"]:
        data["team_form"] = ctx.form(
            "team_add",
            lambda: web_forms.TeamMemberAddForm(organisation=ctx.dispute.organisation, is_admin=ctx.actor.is_admin),
        )
    return data


def _load_sharing(ctx: SectionContext) -> dict[str, Any]:
    shares = list(case_share_list(actor=ctx.actor, dispute_id=ctx.dispute.pk).filter(revoked_at__isnull=True))
    return {
        "shares": shares,
        "share_form": ctx.form(
            "share_grant", lambda: web_forms.ShareGrantForm(exclude_organisation=ctx.dispute.organisation)
        ),
    }


def _load_audit(ctx: SectionContext) -> dict[str, Any]:
    return {"events": list(selectors.dispute_audit_events(actor=ctx.actor, dispute=ctx.dispute)[:100])}


SECTION_LIMIT = 30


def _load_sessions(ctx: SectionContext) -> dict[str, Any]:
    select = optional_selector("apps.sessions.selectors", "session_list")
    if select is None:
        return {"available": False}
    return {"available": True, "rows": list(select(actor=ctx.actor, dispute_id=ctx.dispute.pk)[:SECTION_LIMIT])}


def _load_proposals(ctx: SectionContext) -> dict[str, Any]:
    select = optional_selector("apps.negotiations.selectors", "proposal_list")
    if select is None:
        return {"available": False}
    rows = list(select(actor=ctx.actor, dispute_id=ctx.dispute.pk).order_by("issue__order", "issue_id", "tabled_at",
                                                                             "id")[:SECTION_LIMIT * 2])
    by_issue: dict[int, dict[str, Any]] = {}
    for p in rows:
        by_issue.setdefault(p.issue_id, {"issue": p.issue, "proposals": []})["proposals"].append(p)
    return {"available": True, "issues": list(by_issue.values())}


def _load_agreements(ctx: SectionContext) -> dict[str, Any]:
    select = optional_selector("apps.agreements.selectors", "agreement_list")
    if select is None:
        return {"available": False}
    return {"available": True, "rows": list(select(actor=ctx.actor, dispute_id=ctx.dispute.pk)[:SECTION_LIMIT])}


def _load_reminders(ctx: SectionContext) -> dict[str, Any]:
    select = optional_selector("apps.reminders.selectors", "reminder_list_for_dispute")
    if select is None:
        return {"available": False}
    # The reminders selector trusts its caller to have checked the dispute: the workspace has (it is loaded).
    rows = select(organisation=ctx.dispute.organisation, dispute_id=ctx.dispute.pk)
    return {"available": True, "rows": list(rows.filter(status="pending")[:SECTION_LIMIT])}


def _load_shuttle(ctx: SectionContext) -> dict[str, Any]:
    from apps.dashboard.views.shuttle import ShuttleOpenForm
    from apps.disputes.selectors import case_party_list
    from apps.sessions.selectors import shuttle_round_list, shuttle_round_state

    rounds = list(shuttle_round_list(actor=ctx.actor, dispute_id=ctx.dispute.pk)[:SECTION_LIMIT])
    data: dict[str, Any] = {"rows": [{"round": r, "state": shuttle_round_state(r)} for r in rounds]}
    if ctx.can_write:
        parties = list(case_party_list(actor=ctx.actor, dispute_id=ctx.dispute.pk).order_by("id"))
        data["open_form"] = ctx.form("shuttle_open", lambda: ShuttleOpenForm(
            parties=parties, issues=list(ctx.dispute.issues.all())))
    return data


TIMELINE_PAGE = 20


def _load_timeline(ctx: SectionContext) -> dict[str, Any]:
    from apps.sessions.selectors import dispute_timeline

    # Team-only notes come only to the case team; reading them is audited by the selector.
    return {"page": dispute_timeline(actor=ctx.actor, dispute_id=ctx.dispute.pk, limit=TIMELINE_PAGE)}


def _owning_writer(ctx: SectionContext) -> bool:
    return ctx.can_write and ctx.dispute.organisation_id == ctx.actor.organisation.pk


def _is_owning_admin(ctx: SectionContext) -> bool:
    return ctx.actor.is_admin and ctx.dispute.organisation_id == ctx.actor.organisation.pk


SECTIONS: list[Section] = [
    Section("timeline", _("Timeline"), _load_timeline),
    Section("parties", _("Parties and positions"), _load_parties),
    Section("issues", _("Negotiation issues"), _load_issues),
    Section("team", _("Case team"), _load_team),
    Section("sessions", _("Sessions"), _load_sessions),
    Section("shuttle", _("Shuttle rounds"), _load_shuttle),
    Section("proposals", _("Proposals by issue"), _load_proposals),
    Section("agreements", _("Agreements"), _load_agreements),
    # Reminders name their recipients and deadlines: the people who run the case, not every reader.
    Section("reminders", _("Upcoming reminders"), _load_reminders, visible=_owning_writer),
    Section("sharing", _("Sharing"), _load_sharing, visible=_is_owning_admin),
    Section("audit", _("Audit trail"), _load_audit, visible=_is_owning_admin),
]
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


@dataclass(frozen=True)
class LoadedSection:
    key: str
    title: str | Promise
    template: str
    data: dict[str, Any]


def load_sections(ctx: SectionContext, *, only: str | None = None) -> list[LoadedSection]:
    out = []
    for section in SECTIONS:
        if only and section.key != only:
            continue
        if not section.visible(ctx):
            continue
        out.append(LoadedSection(section.key, section.title, section.template, section.load(ctx)))
    return out
