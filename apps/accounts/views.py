from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.forms import OrganisationSwitchForm
from apps.accounts.middleware import SESSION_KEY
from apps.accounts.selectors import membership_get


@login_required
@require_POST
def organisation_switch(request: HttpRequest) -> HttpResponse:
    form = OrganisationSwitchForm(request.POST)
    if not form.is_valid():
        raise Http404
    membership = membership_get(user=request.user, organisation_id=form.cleaned_data["organisation"])
    if membership is None:
        # Same answer whether the organisation exists or not.
        raise Http404
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, _("You are now working in %(org)s.") % {"org": membership.organisation.name})
    nxt = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if nxt and safe:
        return redirect(nxt)
    return redirect("home")
