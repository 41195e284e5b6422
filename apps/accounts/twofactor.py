"""Two-factor sign-in with django-otp: TOTP authenticator apps plus one-time recovery codes.

django-otp was chosen over django-allauth's MFA because PeaceCase has its own login
pages and needs only the device models and verification (with throttling) — not a
whole account system.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Membership, User
from apps.common.services import audit_record

ROLES_REQUIRING_2FA = (Membership.Role.ADMIN, Membership.Role.MEDIATOR)
RECOVERY_CODES = 10


def user_requires_2fa(user: User) -> bool:
    """Whether any of the user's organisations requires a second factor for the user's role there."""
    if not getattr(settings, "PEACECASE_ENFORCE_2FA", True):
        return False
    return Membership.objects.filter(
        user=user, role__in=ROLES_REQUIRING_2FA, organisation__require_2fa=True
    ).exists()


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
