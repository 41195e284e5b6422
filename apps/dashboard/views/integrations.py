"""Integrations, for an organisation's admins: its API keys and its webhook endpoints (#15).

Thin views over apps/api/services.py and apps/webhooks/services.py, which decide who may
(DESIGN.md §3b: the organisation's admins; keys never manage keys). A raw key or a signing
secret is shown once, on the page after the POST that made it, from the session, and then
forgotten: only hashes (keys) or the endpoint row (secrets) remain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import member_required
from apps.api.models import OrganisationAPIKey
from apps.api.selectors import api_key_list
from apps.api.services import api_key_create, api_key_revoke, api_key_rotate
from apps.common.errors import AccessDenied, ApplicationError
from apps.dashboard.forms import ChoiceField, run_service
from apps.dashboard.views._common import forbidden
from apps.webhooks.models import SUBSCRIBABLE_EVENTS, WebhookEndpoint
from apps.webhooks.selectors import webhook_delivery_list, webhook_endpoint_list
from apps.webhooks.services import (
    webhook_deliveries_replay,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

# The delivery log shows the newest deliveries of an endpoint; older ones are in the API.
DELIVERY_LOG_SIZE = 50
_SHOWN_ONCE = "integrations_shown_once"


def _admin_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.actor.is_admin else forbidden(request)


def _show_once(request: HttpRequest, *, label: str, value: str, anchor: str) -> None:
    request.session[_SHOWN_ONCE] = {"label": label, "value": value, "anchor": anchor}


def _take_shown_once(request: HttpRequest) -> dict[str, str] | None:
    return request.session.pop(_SHOWN_ONCE, None)


def _refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse | None:
    if isinstance(exc, AccessDenied):
        return forbidden(request)
    messages.error(request, str(exc.message))
    return None


# --- API keys ---------------------------------------------------------------------------------


class APIKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50,
                           help_text=gettext_lazy("What the key is for, e.g. the partner's system."))
    scope = ChoiceField(label=gettext_lazy("Access"), choices=OrganisationAPIKey.Scope.choices,
                        initial=OrganisationAPIKey.Scope.READ)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires after"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Optional. The key stops working at the end of this day (your time zone)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "key-%s")
        super().__init__(*args, **kwargs)


def _end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _api_key_page(request: HttpRequest, form: APIKeyForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "dashboard/api_key_list.html", {
        "keys": list(api_key_list(actor=request.actor)),
        "form": form or APIKeyForm(),
        "shown_once": _take_shown_once(request),
    }, status=status)


@never_cache
@member_required
@require_GET
def api_key_list_page(request: HttpRequest) -> HttpResponse:
    return _admin_only(request) or _api_key_page(request)


@member_required
@require_POST
def api_key_create_page(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    form = APIKeyForm(request.POST)
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        created = run_service(
            form, api_key_create, actor=request.actor, organisation=request.actor.organisation,
            name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
            expires_at=_end_of_day(expires_on, request.user.tzinfo) if expires_on else None,
            field_map={"expires_at": "expires_on"},
        )
        if created is not None:
            api_key, raw_key = created
            _show_once(request, label=_("The new key “%(name)s” (shown only now: copy it)") % {"name": api_key.name},
                       value=raw_key, anchor="keys-title")
            messages.success(request, _("The key “%(name)s” is ready.") % {"name": api_key.name})
            return redirect(reverse("api_key_list") + "#shown-once")
        if isinstance(getattr(form, "application_error", None), AccessDenied):
            return forbidden(request)
    return _api_key_page(request, form, status=400)


def _key_or_404(request: HttpRequest, prefix: str) -> OrganisationAPIKey:
    return get_object_or_404(api_key_list(actor=request.actor).select_related("organisation"), prefix=prefix)


@member_required
@require_POST
def api_key_revoke_page(request: HttpRequest, prefix: str) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    api_key = _key_or_404(request, prefix)
    try:
        api_key_revoke(actor=request.actor, api_key=api_key)
    except ApplicationError as exc:
        if (response := _refused(request, exc)) is not None:
            return response
    else:
        messages.success(request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": api_key.name})
    return redirect(reverse("api_key_list") + "#keys-title")


@member_required
@require_POST
def api_key_rotate_page(request: HttpRequest, prefix: str) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    api_key = _key_or_404(request, prefix)
    try:
        new_key, raw_key = api_key_rotate(actor=request.actor, api_key=api_key)
    except ApplicationError as exc:
        if (response := _refused(request, exc)) is not None:
            return response
    else:
        _show_once(request, label=_("The new key “%(name)s” (shown only now: copy it)") % {"name": new_key.name},
                   value=raw_key, anchor="keys-title")
        hours = round(settings.API_KEY_ROTATION_OVERLAP_HOURS)
        messages.success(request, ngettext(
            "A new key replaces “%(name)s”. The old key keeps working for %(hours)d hour, then expires; "
            "revoke it now if it leaked.",
            "A new key replaces “%(name)s”. The old key keeps working for %(hours)d hours, then expires; "
            "revoke it now if it leaked.", hours) % {"name": api_key.name, "hours": hours})
        return redirect(reverse("api_key_list") + "#shown-once")
    return redirect(reverse("api_key_list") + "#keys-title")


# --- webhooks ---------------------------------------------------------------------------------


class WebhookForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=2000, assume_scheme="https",
                         help_text=gettext_lazy("Where PeaceCase sends a POST for each event (https)."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), choices=SUBSCRIBABLE_EVENTS,
                                       widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, prefix_id: str = "hook", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)


class ReplayForm(forms.Form):
    since = forms.DateTimeField(label=gettext_lazy("From"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(label=gettext_lazy("Until"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    only_failed = forms.BooleanField(label=gettext_lazy("Only deliveries that were given up"), required=False,
                                     initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "replay-%s")
        super().__init__(*args, **kwargs)


def _webhook_list_page(request: HttpRequest, form: WebhookForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "dashboard/webhook_list.html", {
        "endpoints": list(webhook_endpoint_list(actor=request.actor)),
        "form": form or WebhookForm(),
        "shown_once": _take_shown_once(request),
    }, status=status)


@never_cache
@member_required
@require_GET
def webhook_list_page(request: HttpRequest) -> HttpResponse:
    return _admin_only(request) or _webhook_list_page(request)


@member_required
@require_POST
def webhook_create_page(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    form = WebhookForm(request.POST)
    if form.is_valid():
        endpoint = run_service(form, webhook_endpoint_create, actor=request.actor, **form.cleaned_data)
        if endpoint is not None:
            _show_once(request, label=_("The signing secret of this endpoint (shown only now: copy it)"),
                       value=endpoint.secret, anchor="secret")
            messages.success(request, _("The endpoint is saved. Ping it to check that it answers."))
            return redirect(reverse("webhook_detail", args=[endpoint.pk]) + "#shown-once")
        if isinstance(getattr(form, "application_error", None), AccessDenied):
            return forbidden(request)
    return _webhook_list_page(request, form, status=400)


def _endpoint_or_404(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(webhook_endpoint_list(actor=request.actor).select_related("organisation"),
                             pk=endpoint_id)


def _webhook_detail_page(request: HttpRequest, endpoint: WebhookEndpoint, form: WebhookForm | None = None,
                         status: int = 200, replay_form: ReplayForm | None = None) -> HttpResponse:
    deliveries = list(webhook_delivery_list(actor=request.actor, endpoint_id=endpoint.pk)
                      .defer("payload").order_by("-id")[:DELIVERY_LOG_SIZE])
    form = form or WebhookForm(prefix_id="edit", initial={
        "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
        "active": endpoint.active,
    })
    return render(request, "dashboard/webhook_detail.html", {
        "endpoint": endpoint, "form": form, "deliveries": deliveries, "log_size": DELIVERY_LOG_SIZE,
        "replay_form": replay_form or ReplayForm(),
        "shown_once": _take_shown_once(request),
    }, status=status)


@never_cache
@member_required
@require_GET
def webhook_detail_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    return _webhook_detail_page(request, _endpoint_or_404(request, endpoint_id))


@member_required
@require_POST
def webhook_edit_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    endpoint = _endpoint_or_404(request, endpoint_id)
    form = WebhookForm(request.POST, prefix_id="edit")
    if form.is_valid() and run_service(form, webhook_endpoint_update, actor=request.actor, endpoint=endpoint,
                                       data=form.cleaned_data) is not None:
        messages.success(request, _("The endpoint is saved."))
        return redirect("webhook_detail", endpoint.pk)
    if isinstance(getattr(form, "application_error", None), AccessDenied):
        return forbidden(request)
    endpoint.refresh_from_db()
    return _webhook_detail_page(request, endpoint, form, status=400)


def _endpoint_action(request: HttpRequest, endpoint_id: int, do: Any) -> HttpResponse:
    """POST buttons of the endpoint page: call ``do(endpoint)``, say what happened, back to the page."""
    if refused := _admin_only(request):
        return refused
    endpoint = _endpoint_or_404(request, endpoint_id)
    try:
        do(endpoint)
    except ApplicationError as exc:
        if (response := _refused(request, exc)) is not None:
            return response
    return redirect(reverse("webhook_detail", args=[endpoint.pk]) + "#deliveries-title")


@member_required
@require_POST
def webhook_rotate_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    def do(endpoint: WebhookEndpoint) -> None:
        _endpoint, secret = webhook_endpoint_rotate_secret(actor=request.actor, endpoint=endpoint)
        _show_once(request, label=_("The new signing secret (shown only now: copy it)"), value=secret,
                   anchor="secret")
        hours = round(settings.WEBHOOKS_SECRET_OVERLAP_HOURS)
        messages.success(request, ngettext(
            "The secret is rotated. For %(hours)d hour every delivery is signed with both the old and the new "
            "secret, so your receiver can switch without losing any.",
            "The secret is rotated. For %(hours)d hours every delivery is signed with both the old and the new "
            "secret, so your receiver can switch without losing any.", hours) % {"hours": hours})

    return _endpoint_action(request, endpoint_id, do)


@member_required
@require_POST
def webhook_ping_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    def do(endpoint: WebhookEndpoint) -> None:
        webhook_endpoint_ping(actor=request.actor, endpoint=endpoint)
        messages.success(request, _("A test ping is on its way; its result appears in the delivery log."))

    return _endpoint_action(request, endpoint_id, do)


@member_required
@require_POST
def webhook_redeliver_page(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    def do(endpoint: WebhookEndpoint) -> None:
        delivery = webhook_delivery_list(actor=request.actor, endpoint_id=endpoint.pk).select_related(
            "endpoint").filter(pk=delivery_id).first()
        if delivery is None:
            raise Http404
        webhook_delivery_redeliver(actor=request.actor, delivery=delivery)
        messages.success(request, _("The delivery will be sent again."))

    return _endpoint_action(request, endpoint_id, do)


@member_required
@require_POST
def webhook_replay_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Send again the deliveries of a time window (times typed in the admin's own time zone)."""
    if refused := _admin_only(request):
        return refused
    endpoint = _endpoint_or_404(request, endpoint_id)
    form = ReplayForm(request.POST)
    if form.is_valid():
        queued = run_service(form, webhook_deliveries_replay, actor=request.actor, endpoint=endpoint,
                             **form.cleaned_data)
        if queued is not None:
            messages.success(request, ngettext("%(n)d delivery will be sent again.",
                                               "%(n)d deliveries will be sent again.", queued) % {"n": queued})
            return redirect(reverse("webhook_detail", args=[endpoint.pk]) + "#deliveries-title")
        if isinstance(getattr(form, "application_error", None), AccessDenied):
            return forbidden(request)
    return _webhook_detail_page(request, endpoint, status=400, replay_form=form)
