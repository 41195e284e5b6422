from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "apps.reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        # Each domain app's notify.py registers who may receive its reminders (apps/reminders/audience.py);
        # importing them here gives every process (web, worker, beat, shell) the same checks.
        autodiscover_modules("notify")
