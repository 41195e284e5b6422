from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.decorators import verified_required
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
    if nxt.startswith("/") and safe:
        return HttpResponseRedirect(nxt)
    return redirect("home")


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    # Local paths only: redirect() would try to reverse a bare word and crash.
    return nxt if nxt.startswith("/") and ok else default


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    import segno
    from django.shortcuts import render
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts import twofactor
    from apps.accounts.forms import TokenForm

    if twofactor.user_has_second_factor(request.user):
        messages.info(request, _("Two-factor sign-in is already set up."))
        return redirect("account_security")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or (request.method == "GET" and "new" in request.GET):
        device = twofactor.totp_setup_begin(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.totp_setup_confirm(user=request.user, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request)})
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    qr = segno.make(device.config_url, micro=False).svg_data_uri(scale=5, border=2)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor_setup.html",
                  {"form": form, "qr": qr, "secret": secret, "next": _safe_next(request)})


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import render
    from django_otp import login as otp_login

    from apps.accounts import twofactor
    from apps.accounts.forms import TokenForm

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify_second_factor(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("That code is not right, or too many codes were tried: wait a little and retry."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@verified_required
def account_security(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import render

    from apps.accounts import twofactor

    return render(request, "accounts/security.html", {
        "has_2fa": twofactor.user_has_second_factor(request.user),
        "requires_2fa": twofactor.user_requires_2fa(request.user),
    })


@verified_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import render

    from apps.accounts import twofactor

    if not twofactor.user_has_second_factor(request.user):
        raise Http404
    codes = twofactor.recovery_codes_regenerate(user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})


@verified_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    from apps.accounts import twofactor

    twofactor.user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You have been signed out on every device."))
    return redirect("login")
