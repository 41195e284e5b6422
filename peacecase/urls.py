from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from apps.common.views import healthz

handler500 = "apps.common.outage.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include("apps.api.urls")),
    path("notifications/", include("apps.reminders.urls")),
    path("operations/", include("apps.operations.urls")),
    path("", include("apps.dashboard.urls")),
]
