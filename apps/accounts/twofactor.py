"""Two-factor sign-in with django-otp: TOTP authenticator apps plus one-time recovery codes.

django-otp was chosen over django-allauth's MFA because PeaceCase has its own login
pages and needs only the device models and verification (with throttling) — not a
whole account system.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Membership, User
from apps.common.services import audit_record

ROLES_REQUIRING_2FA = (Membership.Role.ADMIN, Membership.Role.MEDIATOR)
RECOVERY_CODES = 10

# "Nothing is due" is remembered in the session for a few minutes, so ordinary pages of a user
# without a device pay no query. Only that answer is cached: a verified session is verified by
# django-otp's own session entry, and a due step is looked up again on every request.
NOTHING_DUE_SESSION_KEY = "pc_2fa_ok_until"
NOTHING_DUE_SECONDS = 300

VERIFY = "two_factor_verify"
SET_UP = "two_factor_setup"


def enforced() -> bool:
    return getattr(settings, "PEACECASE_ENFORCE_2FA", True)


def user_requires_2fa(user: User) -> bool:
    """Whether the user must use a second factor: platform staff always (the Django admin reaches
    every organisation), others when one of their organisations requires it for their role there."""
    if not enforced():
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, role__in=ROLES_REQUIRING_2FA, organisation__require_2fa=True
    ).exists()


def second_factor_due(request: HttpRequest) -> str | None:
    """The step this signed-in session still owes before anything else (the URL name of the page
    that verifies or sets up a second factor), or None when it may go on.

    A user with a confirmed device must use it in every session; a user who must have one
    (``user_requires_2fa``) and has none must set it up first.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not enforced():
        return None
    if hasattr(user, "is_verified") and user.is_verified():
        return None
    if request.session.get(NOTHING_DUE_SESSION_KEY, 0) > time.time():
        return None
    if user_has_second_factor(user):
        return VERIFY
    if user_requires_2fa(user):
        return SET_UP
    request.session[NOTHING_DUE_SESSION_KEY] = time.time() + NOTHING_DUE_SECONDS
    return None


def session_is_verified(request: HttpRequest) -> bool:
    """Whether the session proved a second factor (django-otp's ``is_verified``), enforcement on or off."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and hasattr(user, "is_verified") and user.is_verified())


def user_has_second_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


@transaction.atomic
def totp_setup_begin(*, user: User) -> TOTPDevice:
    """A fresh unconfirmed authenticator device (earlier unconfirmed ones are discarded)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_setup_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; returns new recovery codes, or None if the code is wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token.strip().replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_regenerate(user=user, audit=False)
    audit_record(actor=user, action="accounts.two_factor.enabled", target=user, after={"device": device.pk})
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, audit: bool = True) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    if audit:
        audit_record(actor=user, action="accounts.two_factor.recovery_codes_regenerated", target=user)
    return codes


def verify_second_factor(*, user: User, token: str):
    """The device that accepts the token (TOTP code or recovery code), or None. Throttled by django-otp."""
    token = (token or "").strip().replace(" ", "")
    if not token:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                return device
    return None


@transaction.atomic
def two_factor_disable(*, user: User, by: User) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    audit_record(actor=by, action="accounts.two_factor.disabled", target=user)


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> None:
    """Ends every session of the user, on every device, this one included."""
    User.objects.filter(pk=user.pk).update(session_epoch=user.session_epoch + 1)
    audit_record(actor=user, action="accounts.user.signed_out_everywhere", target=user)
