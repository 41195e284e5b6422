from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.reminders.models import ReminderRules
from apps.reminders.services import RULE_FIELDS


class ReminderRulesForm(forms.ModelForm):
    class Meta:
        model = ReminderRules
        fields = RULE_FIELDS
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("quiet_hours_enabled") and data.get("quiet_hours_start") == data.get("quiet_hours_end"):
            self.add_error("quiet_hours_end", _("Quiet hours must end at a different time than they start."))
        return data
