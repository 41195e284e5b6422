from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "apps.api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the OpenAPI extensions for our authentication classes.
        from apps.api import schema  # noqa: F401
