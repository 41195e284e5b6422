from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationSessionsConfig(AppConfig):
    name = "apps.sessions"
    label = "mediation_sessions"
    verbose_name = _("Mediation sessions")
