from django import forms
from django.contrib.auth.forms import AuthenticationForm
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


class OrganisationSwitchForm(forms.Form):
    organisation = forms.IntegerField(min_value=1)
