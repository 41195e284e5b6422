from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.decorators import member_required
from apps.common.errors import ApplicationError
from apps.reminders.forms import ReminderRulesForm
from apps.reminders.selectors import notification_list_for_actor
from apps.reminders.services import (
    RULE_FIELDS,
    notification_mark_all_read,
    notification_mark_read,
    reminder_rules_for,
    reminder_rules_update,
)

PAGE_SIZE = 50


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only local paths: redirect() would try to reverse a bare word like "back" and crash.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("reminders:notification_list")


@member_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list_for_actor(actor=request.actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reminders/notification_list.html", {"page": page, "notifications": page.object_list})


@member_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's id updates nothing, and looks the same as a notice already read.
    notification_mark_read(actor=request.actor, notification_id=pk)
    return _back(request)


@member_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(actor=request.actor)
    messages.success(request, _("%(count)d notification(s) marked as read.") % {"count": count})
    return _back(request)


@member_required
@require_http_methods(["GET", "POST"])
def reminder_rules_edit(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not actor.is_admin:
        raise PermissionDenied
    rules = reminder_rules_for(organisation=actor.organisation)
    form = ReminderRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_rules_update(actor=actor, data={name: form.cleaned_data[name] for name in RULE_FIELDS})
        except ApplicationError as exc:
            form.add_error(exc.field, str(exc.message))
        else:
            messages.success(request, _("Reminder rules saved. They apply to reminders scheduled from now on."))
            return redirect("reminders:rules")
    return render(request, "reminders/reminderrules_form.html", {"form": form})
