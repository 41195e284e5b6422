"""Organisation settings for admins: members and roles, invitations, and links to the other settings pages.

People join by invitation (apps/accounts/invitations.py): the page says the same whether or not the
address has an account.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import services
from apps.accounts.decorators import member_required
from apps.accounts.invitations import invitation_create, invitation_list_open, invitation_revoke
from apps.accounts.models import Invitation, Membership
from apps.accounts.selectors import member_get, member_list
from apps.common.errors import ApplicationError
from apps.dashboard.forms import ChoiceField, run_service
from apps.dashboard.views._common import forbidden


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    role = ChoiceField(label=gettext_lazy("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEDIATOR)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "member-%s")
        super().__init__(*args, **kwargs)


class MemberRoleForm(forms.Form):
    role = ChoiceField(label=gettext_lazy("Role"), choices=Membership.Role.choices)

    def __init__(self, *args: Any, membership_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"role{membership_id}-%s")
        super().__init__(*args, **kwargs)


def _url_or_none(name: str) -> str | None:
    """Settings pages of apps built in parallel (API keys, webhooks) appear once they exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _page(request: HttpRequest, *, add_form: forms.Form | None = None, role_form: forms.Form | None = None,
          role_form_for: int | None = None) -> HttpResponse:
    members = list(member_list(organisation=request.actor.organisation))
    for m in members:
        m.role_form = role_form if role_form is not None and m.pk == role_form_for else MemberRoleForm(
            membership_id=m.pk, initial={"role": m.role})
    return render(request, "dashboard/organisation_settings.html", {
        "members": members,
        "invitations": list(invitation_list_open(actor=request.actor)),
        "add_form": add_form or MemberAddForm(),
        "links": {
            "reminder_rules": _url_or_none("reminders:rules"),
            "api_keys": _url_or_none("api_key_list"),
            "webhooks": _url_or_none("webhook_list"),
        },
    })


@member_required
@require_GET
def organisation_settings(request: HttpRequest) -> HttpResponse:
    if not request.actor.is_admin:
        return forbidden(request)
    return _page(request)


@member_required
@require_POST
def organisation_member_add(request: HttpRequest) -> HttpResponse:
    """Invite a person by e-mail: they join when they accept. Nothing here says whether the address
    has an account (DESIGN.md §3b)."""
    if not request.actor.is_admin:
        return forbidden(request)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        invitation = run_service(
            form, invitation_create, actor=request.actor, email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            link_for=lambda token: request.build_absolute_uri(reverse("invitation_accept", args=[token])),
        )
        if invitation is not None:
            messages.success(request, _("An invitation to join as %(role)s was sent to %(email)s. It works once, "
                                        "for seven days.") % {"role": invitation.get_role_display(),
                                                               "email": invitation.email})
            return redirect(reverse("organisation_settings") + "#invitations-title")
    return _page(request, add_form=form)


@member_required
@require_POST
def organisation_invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    if not request.actor.is_admin:
        return forbidden(request)
    invitation = Invitation.objects.filter(pk=invitation_id, organisation=request.actor.organisation).first()
    if invitation is None:
        raise Http404
    try:
        invitation_revoke(actor=request.actor, invitation=invitation)
        messages.success(request, _("The invitation to %(email)s is withdrawn: its link no longer works.")
                         % {"email": invitation.email})
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect(reverse("organisation_settings") + "#invitations-title")


@member_required
@require_POST
def organisation_member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    if not request.actor.is_admin:
        return forbidden(request)
    membership = member_get(organisation=request.actor.organisation, membership_id=membership_id)
    if membership is None:
        raise Http404
    form = MemberRoleForm(request.POST, membership_id=membership.pk)
    if form.is_valid() and run_service(form, services.membership_change_role, membership=membership,
                                       role=form.cleaned_data["role"], by=request.user):
        messages.success(request, _("%(name)s's role is now %(role)s.")
                         % {"name": membership.user, "role": Membership.Role(form.cleaned_data["role"]).label})
        if membership.user_id == request.user.pk and form.cleaned_data["role"] != Membership.Role.ADMIN:
            return redirect("home")  # no longer an admin: the settings page is closed to them now
        return redirect(reverse("organisation_settings") + "#members-title")
    return _page(request, role_form=form, role_form_for=membership.pk)
