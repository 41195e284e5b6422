"""The Django admin, for platform staff, behind the same door as the app.

Its own login form had no lockout and no second factor; here /admin/login/ sends people to the
app's sign-in (lockout included) and the second-factor step, and the admin opens only to a staff
session that has verified its second factor (when second factors are enforced).
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


class PeaceCaseAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from apps.accounts import twofactor

        if not super().has_permission(request):
            return False
        return not twofactor.enforced() or twofactor.session_is_verified(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        from apps.accounts import twofactor
        from apps.accounts.views import _safe_next

        target = _safe_next(request, default=reverse("admin:index", current_app=self.name))
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
        if self.has_permission(request):
            return redirect(target)
        step = twofactor.second_factor_due(request)
        if request.user.is_active and request.user.is_staff and step is not None:
            return redirect(f"{reverse(step)}?{urlencode({'next': target})}")
        # Signed in, but not platform staff: sending them to the sign-in page again would loop.
        raise PermissionDenied


class PeaceCaseAdminConfig(AdminConfig):
    default_site = "apps.accounts.admin_site.PeaceCaseAdminSite"
