"""Every URL pattern of the URLconf, with its path parameters filled from the security world.

A pattern whose parameter has no filler fails the sweep loudly, so a new page or endpoint cannot
slip past it unmapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from apps.dashboard.selectors import PORTFOLIO_FIGURES
from apps.dashboard.views.portfolio_record import FIGURES as RECORD_FIGURES
from tests.security.world import World

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Pattern:
    template: str  # "disputes/<pk>/team/<member_id>/remove/" (converters and regex groups as <name>)
    name: str  # the URL name, "" when unnamed
    module: str  # the view's module

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")


def _regex_to_template(regex: str) -> str:
    """"^disputes/(?P<pk>[0-9]+)/$" -> "disputes/<pk>/": named groups become placeholders."""
    out, i = [], 0
    regex = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            end = regex.index(">", i)
            name = regex[i + 4:end]
            depth, j = 1, end + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[j], 0) if regex[j - 1] != "\\" else 0
                j += 1
            out.append(f"<{name}>")
            i = j
        else:
            out.append(regex[i])
            i += 1
    return "".join(out).replace("\\.", ".")


def _piece(pattern: Any) -> str:
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "regex") and text.startswith("^"):
        return _regex_to_template(text)
    return PARAM.sub(lambda m: f"<{m['name']}>", text)


def walk(patterns: list | None = None, prefix: str = "") -> Iterator[Pattern]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + _piece(p))
        elif isinstance(p, URLPattern):
            callback = p.callback
            yield Pattern(prefix + _piece(p), p.name or "", getattr(callback, "__module__", ""))


# --- fillers ---------------------------------------------------------------------------------------------
# The API's resource prefixes and the web's path segments, mapped to A's objects: the standard
# dispute's where there is one, and the restricted dispute's and the team note's wherever the
# resource can hold them (those are what must never leak).


def _api_objects(w: World) -> dict[str, list[Any]]:
    s, r = w.std, w.res
    return {
        "members": [], "organisation": [], "me": [], "rollups": [],
        "webhooks": [w.webhook.pk],
        "deliveries": list(w.webhook.deliveries.values_list("pk", flat=True)[:1]),
        "parties": [s.a.party_id, r.a.party_id, w.alpha_party.pk],
        "representatives": [s.rep.pk, r.rep.pk, w.alpha_rep.pk],
        "disputes": [s.dispute.pk, r.dispute.pk],
        "stage-changes": [s.dispute.stage_changes.first().pk, r.dispute.stage_changes.first().pk],
        "risk-assessments": [s.dispute.risk_history.first().pk, r.dispute.risk_history.first().pk],
        "case-parties": [s.a.pk, r.a.pk],
        "issues": [s.issue.pk, r.issue.pk],
        "positions": [s.position.pk, r.position.pk],
        "team-members": [s.lead_member.pk, r.lead_member.pk],
        "shares": [w.share.pk],
        "sessions": [s.caucus.pk, s.planned.pk, r.joint.pk],
        "notes": [s.team_note.pk, s.shared_note.pk, r.shared_note.pk, r.team_note.pk],
        "disclosures": [s.team_disclosure.pk, s.disclosure.pk, r.disclosure.pk],
        "consents": [s.consent.pk, r.consent.pk],
        "shuttle-rounds": [s.round.pk, r.round.pk],
        "action-items": [s.item.pk, r.item.pk],
        "proposals": [s.proposal.pk, r.counter.pk],
        "agreements": [s.agreement.pk, r.agreement.pk],
        "agreement-versions": [s.v2.pk, r.v1.pk],
        "signatories": [s.signatory.pk, r.signatory.pk],
        "provisions": [s.provision.pk, r.provision.pk],
        "assessments": [s.assessment.pk, r.assessment.pk],
        "notifications": [w.notification.pk],
        "audit-events": [w.team_note_event.pk, w.res_event.pk],
    }


def _admin_object(w: World, name: str) -> list[Any]:
    """Admin change pages: the object of that model that is most sensitive in the world."""
    s, r = w.std, w.res
    by_model = {
        "dispute": r.dispute.pk, "sessionnote": s.team_note.pk, "mediationsession": r.joint.pk,
        "proposal": r.proposal.pk, "agreement": r.agreement.pk, "provision": r.provision.pk,
        "party": w.alpha_party.pk, "representative": w.alpha_rep.pk, "caseshare": w.share.pk,
        "user": w.lead.user_id, "organisation": w.a.pk, "membership": w.lead.pk,
        "notification": w.notification.pk, "auditevent": w.team_note_event.pk,
    }
    for model, pk in by_model.items():
        if f"_{model}_" in name:
            return [pk]
    return [1]


def _key_prefixes(w: World) -> list[str]:
    return [w.keys["revoked_key"].partition(".")[0], w.keys["b_read_key"].partition(".")[0]]


def _webhook_deliveries(w: World) -> list[int]:
    from apps.webhooks.models import WebhookDelivery

    return list(WebhookDelivery.objects.filter(endpoint=w.webhook).values_list("pk", flat=True)[:1])


def _values(w: World, pattern: Pattern, param: str, segment: str) -> list[Any]:
    s, r = w.std, w.res
    if param == "prefix" and not pattern.is_admin:  # an API key addressed by its public prefix (API and pages)
        return [w.keys["a_read_key"].split(".", 1)[0]]
    if pattern.is_admin:
        return {
            "object_id": _admin_object(w, pattern.name),
            "id": [w.lead.user_id],
            "content_type_id": [ContentType.objects.get(app_label="disputes", model="dispute").pk],
            "app_label": ["disputes"],
            "url": ["no-such-page/"],
            "pk": [1],
        }[param]
    if pattern.is_api:
        if param == "endpoint_id":
            return [w.webhook.pk]
        if param == "link_id":
            return [w.link.pk]
        if param == "prefix":
            return _key_prefixes(w)
        if segment == "deliveries":
            return _webhook_deliveries(w)
        if param != "pk":
            raise KeyError(param)
        return _api_objects(w)[segment]
    web = {
        ("disputes", "pk"): [s.dispute.pk, r.dispute.pk],
        ("team", "member_id"): [s.lead_member.pk, r.lead_member.pk],
        ("parties", "case_party_id"): [s.a.pk, r.a.pk],
        ("issues", "issue_id"): [s.issue.pk, r.issue.pk],
        ("shares", "share_id"): [w.share.pk],
        ("parties", "pk"): [s.a.party_id, r.a.party_id, w.alpha_party.pk],
        ("parties", "party_pk"): [s.a.party_id, w.alpha_party.pk],
        ("representatives", "pk"): [s.rep.pk, w.alpha_rep.pk],
        ("feed", "token"): [w.feed_token],
        ("portfolio", "figure"): list(PORTFOLIO_FIGURES),
        ("record", "figure"): list(RECORD_FIGURES),
        ("notifications", "pk"): [w.notification.pk],
        ("sessions", "pk"): [s.caucus.pk, r.planned.pk, s.planned.pk],
        ("notes", "note_id"): [s.team_note.pk, r.team_note.pk, s.shared_note.pk],
        ("consents", "consent_id"): [s.consent.pk, r.consent.pk],
        ("actions", "item_id"): [s.item.pk, r.item.pk],
        ("<pk>", "action"): ["cancel", "reschedule", "no-such-action"],
        ("shuttle", "round_id"): [s.round.pk, r.round.pk],
        ("proposals", "proposal_id"): [s.proposal.pk, r.counter.pk],
        ("agreements", "agreement_id"): [s.agreement.pk, r.agreement.pk],
        ("<agreement_id>", "action"): ["status", "provision", "assessment", "no-such-action"],
        ("versions", "number"): [1, 2],
        # Invitations: an id that is nobody's (A's admin gets a 404 like for B's), a token that opens nothing.
        ("invitations", "invitation_id"): [999_999],
        ("invitations", "token"): ["no-such-invitation-token"],
        # A's lead mediator's membership, and one of B's (out of reach for A's admin: a 404)
        ("members", "membership_id"): [w.lead.pk, w.members["b_admin"].pk],
        # Keys by prefix: A's revoked one (rotating it is refused, revoking again changes nothing, so the
        # sweep's own requests cannot lock out the a_read_key caller) and B's (a 404 for A's admin).
        ("api-keys", "prefix"): _key_prefixes(w),
        ("webhooks", "endpoint_id"): [w.webhook.pk],
        ("deliveries", "delivery_id"): _webhook_deliveries(w),
        ("reset", "uidb64"): [w.reset_uid],
        ("reset", "token"): [w.reset_token],
    }
    return web[(segment, param)]


def fill(w: World, pattern: Pattern, *, limit: int = 6) -> list[str]:
    """Concrete paths for a pattern: the product of its parameters' candidate values, at most ``limit``."""
    if ".*" in pattern.template:  # the API's catch-all 404
        return ["/" + pattern.template.replace(".*", "no-such-endpoint/")]
    params = list(PARAM.finditer(pattern.template))
    if not params:
        return ["/" + pattern.template] + ["/" + pattern.template + query for query in _queries(w, pattern)]
    choices = []
    for m in params:
        before = pattern.template[:m.start()].rstrip("/").split("/")
        segment = before[-1] if before and before[-1] else (before[-2] if len(before) > 1 else "")
        if pattern.template.startswith("accounts/password/reset/"):
            segment = "reset"
        try:
            choices.append(_values(w, pattern, m["name"], segment))
        except KeyError as exc:
            raise AssertionError(f"no filler for <{m['name']}> after {segment!r} in {pattern.template!r}: "
                                 f"map it in tests/security/urlsweep.py") from exc
    paths = []
    for combo in list(product(*choices))[:limit]:
        values = iter(combo)
        paths.append("/" + PARAM.sub(lambda _m, values=values: str(next(values)), pattern.template))
    return paths + [paths[0] + query for query in _queries(w, pattern)]


def _queries(w: World, pattern: Pattern) -> list[str]:
    """Query strings that aim a page at the restricted dispute or widen it to everything (searches use words
    of its title, not its marker, which a search box rightly echoes back)."""
    res = w.res.dispute.pk
    day = w.std.planned.starts_at.date().isoformat()
    extra = {
        "disputes/": ["?q=back+channel", "?q=ZQ&sort=-opened_on&mine=on"],
        "disputes/export.csv": ["?q=ZQ"],
        "calendar/": ["?scope=all", f"?scope=all&view=week&date={day}"],
        "portfolio/": ["?stage=intake"],
        "api/v1/agreements/<pk>/diff/": ["?from=1&to=2"],
        "api/v1/disputes/": ["?search=back+channel", "?confidentiality=restricted"],
    }.get(pattern.template, [])
    if pattern.is_api and pattern.template.count("/") == 3 and "<" not in pattern.template:
        extra.append(f"?dispute={res}")  # every API list, filtered on the restricted dispute
    return extra
