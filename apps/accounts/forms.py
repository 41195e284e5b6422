from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        # One message whether or not the address exists, so accounts cannot be probed.
        "invalid_login": _("The e-mail address or password is not correct."),
        "inactive": _("The e-mail address or password is not correct."),
    }


class LockoutAuthenticationForm(EmailAuthenticationForm):
    """Refuses sign-in after repeated failures for this address from this client, for a while."""

    error_messages = {
        **EmailAuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts. Try again in %(minutes)s minutes."),
    }

    def clean(self):
        from django.conf import settings

        from apps.accounts import lockout

        email = self.data.get("username", "")
        ip = lockout.client_address(self.request) if self.request else None
        if lockout.is_locked(identity=email, ip=ip):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked",
                params={"minutes": max(1, settings.LOCKOUT_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            lockout.record_failure(identity=email, ip=ip)
            raise
        lockout.reset(identity=email, ip=ip)
        return cleaned


class RateLimitedPasswordResetForm(PasswordResetForm):
    """Sends at most a few reset e-mails per address and client an hour; the page says the same either way."""

    def save(self, *args, **kwargs):
        from django.conf import settings

        from apps.accounts import lockout

        request = kwargs.get("request")
        ip = lockout.client_address(request) if request else None
        if lockout.hit_rate_limit(identity=self.cleaned_data["email"], ip=ip, kind="reset",
                                  limit=settings.PASSWORD_RESET_PER_HOUR, window_seconds=3600):
            return None
        return super().save(*args, **kwargs)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"), max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


class OrganisationSwitchForm(forms.Form):
    organisation = forms.IntegerField(min_value=1)
