"""Operations pages: the audit trail as CSV for the organisation's admins."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.operations.selectors import audit_events_for_admin, dispute_references

# Cells a spreadsheet would run as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


class AuditFilterForm(forms.Form):
    # "from" and "to" are Python keywords: the form reads them from the query string by prefix-free names.
    date_from = forms.DateField(label=_("from"), required=False)
    date_to = forms.DateField(label=_("to"), required=False)
    action = forms.CharField(label=_("action starts with"), required=False, max_length=120)
    dispute = forms.CharField(label=_("dispute reference"), required=False, max_length=20)

    @classmethod
    def from_query(cls, query) -> AuditFilterForm:
        return cls({"date_from": query.get("from", ""), "date_to": query.get("to", ""),
                    "action": query.get("action", ""), "dispute": query.get("dispute", "")})


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@member_required
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The organisation's audit trail as CSV, streamed; admins only (anyone else gets a 404)."""
    actor = request.actor
    if not actor.is_admin:
        raise Http404
    form = AuditFilterForm.from_query(request.GET)
    if not form.is_valid():
        # A bad filter must never widen the export: refuse rather than ignore it.
        raise Http404
    f = form.cleaned_data
    qs = audit_events_for_admin(actor=actor, date_from=f["date_from"], date_to=f["date_to"],
                                action_prefix=f["action"], dispute_reference=f["dispute"])
    header = [_("when (UTC)"), _("action"), _("actor"), _("actor e-mail"), _("target type"), _("target id"),
              _("target"), _("dispute"), _("before"), _("after"), _("request id"), _("IP address")]
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # spreadsheet programs then read the file as UTF-8
        yield writer.writerow([str(h) for h in header])
        rows = qs.select_related("actor").iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            refs = dispute_references(actor=actor, dispute_ids={e.dispute_id for e in chunk if e.dispute_id})
            for e in chunk:
                yield writer.writerow([_cell(v) for v in (
                    e.created_at.astimezone(dt.UTC).isoformat(),
                    e.action, e.actor_label, e.actor.email if e.actor else "", e.target_type, e.target_id,
                    e.target_label, refs.get(e.dispute_id, e.dispute_id or ""),
                    json.dumps(e.before, ensure_ascii=False, sort_keys=True),
                    json.dumps(e.after, ensure_ascii=False, sort_keys=True),
                    e.request_id, e.ip or "",
                )])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{actor.organisation.slug}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
