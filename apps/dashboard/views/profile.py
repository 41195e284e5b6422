"""The signed-in person's own settings: name, language, time zone, and the way to the security page.

Saving goes through ``apps.accounts.services.user_update_profile`` (audited); the language also
takes effect at once for this browser (the same cookie Django's ``set_language`` writes).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from apps.accounts.middleware import current_actor
from apps.accounts.services import user_update_profile
from apps.common.timezones import canonical_time_zones
from apps.dashboard.forms import run_service


class ProfileForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), required=False, max_length=150)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(
        label=gettext_lazy("Your time zone"), max_length=64,
        help_text=gettext_lazy("Start typing a city or a region, e.g. Berlin or Kathmandu. Pages show times in it."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Languages as their speakers write them (another helper may add some to settings.LANGUAGES).
        self.fields["language"].choices = [
            (code, translation.get_language_info(code)["name_local"]) for code, _label in settings.LANGUAGES
        ]


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            actor = current_actor(request)
            saved = run_service(form, user_update_profile, user=user, by=user, name=d["name"],
                                language=d["language"], time_zone=d["time_zone"].strip(),
                                organisation=actor.organisation if actor else None)
            if saved is not None:
                translation.activate(saved.language)
                messages.success(request, _("Your profile was saved."))
                response = redirect("profile")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, saved.language,
                                    max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
                                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                                    secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
                                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
                return response
    else:
        form = ProfileForm(initial={"name": user.name, "language": translation.get_language() or user.language,
                                    "time_zone": user.time_zone})
    return render(request, "dashboard/profile.html",
                  {"form": form, "zones": canonical_time_zones(), "now": timezone.now()})
