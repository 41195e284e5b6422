"""Accepting an invitation to an organisation (apps/accounts/invitations.py).

The link in the e-mail is the only credential, so the page is open to anyone holding it: signed in
as the invited address's account, it offers to join; signed out, it offers to sign in or to create
that account. A link that was used, withdrawn or has expired says so, and nothing else.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.accounts.invitations import invitation_accept, invitation_accept_new_account, invitation_get_open
from apps.accounts.middleware import SESSION_KEY
from apps.common.errors import ApplicationError
from apps.dashboard.forms import run_service

TEMPLATE = "accounts/invitation_accept.html"


class NewAccountForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "invite-%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get_open(token=token)
    if invitation is None:
        return render(request, TEMPLATE, {"invitation": None}, status=404)
    user = request.user if request.user.is_authenticated else None
    form = NewAccountForm()
    error = ""
    if request.method == "POST":
        if user is not None:
            try:
                membership = invitation_accept(token=token, user=user)
            except ApplicationError as exc:  # another address's account, or already a member
                error = str(exc.message)
            else:
                return _joined(request, membership)
        else:
            form = NewAccountForm(request.POST)
            if form.is_valid():
                membership = run_service(form, invitation_accept_new_account, token=token,
                                         name=form.cleaned_data["name"], password=form.cleaned_data["password"])
                if membership is not None:
                    # The first configured backend: login() needs one named when several are configured.
                    login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
                    return _joined(request, membership)
    sign_in = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
    return render(request, TEMPLATE, {
        "invitation": invitation, "user": user, "form": form, "error": error, "sign_in_url": sign_in,
        "is_invitee": user is not None and user.email.lower() == invitation.email,
    }, status=400 if error or form.errors else 200)


def _joined(request: HttpRequest, membership) -> HttpResponse:
    request.session[SESSION_KEY] = membership.organisation_id  # work in the organisation just joined
    messages.success(request, _("Welcome to %(organisation)s.") % {"organisation": membership.organisation.name})
    return redirect("home")
