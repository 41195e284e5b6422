"""Forms of the web app. They only translate input; the rules live in the services.

`run_service` is the one place where a broken rule (ApplicationError) becomes a form
error: the user sees the message beside the field, keeps what they typed, and never
gets a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from apps.accounts.actors import WRITING_ROLES
from apps.accounts.models import User
from apps.common.errors import ApplicationError
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    ClosureReason,
    Confidentiality,
    DisputeType,
    ProcessFormat,
    Risk,
    RootCause,
    Stage,
    Track,
)
from apps.parties.models import Party, Representative


def apply_application_error(
    form: forms.Form, exc: ApplicationError, *, field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service's ApplicationError on the form: on its field when the form has it, else on top."""
    field = exc.field
    if field and field_map and field in field_map:
        field = field_map[field]
    form.add_error(field if field in form.fields else None, str(exc.message))


def run_service[T](
    form: forms.Form, call: Callable[..., T], *, field_map: Mapping[str, str] | None = None, **kwargs: Any
) -> T | None:
    """Call a service; on ApplicationError put the message on the form and return None."""
    try:
        return call(**kwargs)
    except ApplicationError as exc:
        apply_application_error(form, exc, field_map=field_map)
        form.application_error = exc  # the view may answer an AccessDenied with a 403
        return None


class FastSelect(forms.Select):
    """A select whose options are written in Python.

    Django renders every option through a template; for the list of countries that cost
    tens of milliseconds per select, most of the disputes list's time.
    """

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        values = value if isinstance(value, list | tuple) else [value]
        selected = {str(v) for v in values if v is not None}
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((v, mark_safe(" selected") if str(v) in selected else "", label)
             for v, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    allow_multiple_selected = True


class ChoiceField(forms.ChoiceField):
    widget = FastSelect


class ModelChoiceField(forms.ModelChoiceField):
    widget = FastSelect


class CommaListField(forms.CharField):
    """A list typed as comma-separated text (aliases, affiliations, languages)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        text = super().to_python(value) or ""
        if "\x00" in text:  # PostgreSQL refuses NUL in text; the item validators never see the raw string
            raise forms.ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")
        return [part.strip() for part in text.split(",") if part.strip()]


ANY = _("Any")


class UniqueIds:
    """Several forms share the workspace page: each gets its own id prefix so labels stay unique."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


def _blank(choices: Any, label: Any = ANY) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


# --- disputes list ---------------------------------------------------------------------------------

SORTS = [
    ("-updated", _("Recently updated")),
    ("reference", _("Reference")),
    ("title", _("Title")),
    ("-opened", _("Newest opened")),
    ("opened", _("Oldest opened")),
    ("stage", _("Stage")),
    ("-risk", _("Highest risk")),
]


class DisputeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Title, summary, reference, party name or alias"))
    stage = ChoiceField(label=_("Stage"), choices=_blank(Stage.choices), required=False)
    dispute_type = ChoiceField(label=_("Type"), choices=_blank(DisputeType.choices), required=False)
    country = ChoiceField(label=_("Country"), choices=_blank(countries), required=False)
    risk = ChoiceField(label=_("Risk"), choices=_blank(Risk.choices), required=False)
    process_format = ChoiceField(label=_("Process format"), choices=_blank(ProcessFormat.choices),
                                       required=False)
    mine = forms.BooleanField(label=_("Only my cases"), required=False)
    sort = ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {k: v for k, v in data.items() if v not in (None, "", False)}


# --- dispute create / edit ---------------------------------------------------------------------------


class DisputeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    dispute_types = forms.MultipleChoiceField(
        label=_("Dispute types"), choices=DisputeType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries"), choices=countries, required=False,
        widget=FastSelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )
    process_format = ChoiceField(label=_("Process format"), choices=ProcessFormat.choices)
    track = ChoiceField(label=_("Track"), choices=Track.choices)
    confidentiality = ChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices,
        help_text=_("A restricted dispute is visible only to its case team and the organisation's admins."),
    )
    root_causes = forms.MultipleChoiceField(
        label=_("Root causes"), choices=RootCause.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    root_causes_other = forms.CharField(label=_("Other root causes"), max_length=500, required=False)
    opened_on = forms.DateField(label=_("Opened on"), widget=forms.DateInput(attrs={"type": "date"}))


class DisputeEditForm(DisputeForm):
    """Confidentiality has its own form (ConfidentialityForm): only an admin or the lead mediator may change it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["confidentiality"]


class ConfidentialityForm(UniqueIds, forms.Form):
    id_prefix = "confidentiality"
    confidentiality = ChoiceField(label=_("Confidentiality"), choices=Confidentiality.choices)
    reason = forms.CharField(label=_("Reason (kept in the audit log)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DisputeCreateForm(DisputeForm):
    risk = ChoiceField(label=_("Escalation risk"), choices=Risk.choices, initial=Risk.MEDIUM)
    lead_mediator = ModelChoiceField(label=_("Lead mediator"), queryset=User.objects.none())

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_mediator"].queryset = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=WRITING_ROLES,
        ).order_by("name", "email")


class StageChangeForm(UniqueIds, forms.Form):
    id_prefix = "stage"
    to_stage = ChoiceField(label=_("New stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    closure_reason = ChoiceField(label=_("Closure reason"), choices=_blank(ClosureReason.choices, "—"),
                                       required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["to_stage"].choices = [(s, Stage(s).label) for s in allowed]


class RiskChangeForm(UniqueIds, forms.Form):
    id_prefix = "risk"
    risk = ChoiceField(label=_("Escalation risk"), choices=Risk.choices)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class TeamMemberAddForm(UniqueIds, forms.Form):
    id_prefix = "team"
    user = ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    role = ChoiceField(label=_("Role in the case"), choices=CaseTeamMember.Role.choices,
                             initial=CaseTeamMember.Role.CO_MEDIATOR)
    affiliations = CommaListField(
        label=_("Declared affiliations"), required=False,
        help_text=_("Organisations or groups the person is affiliated with, separated by commas; "
                    "leave empty to declare no conflict of interest."),
    )
    override_reason = forms.CharField(
        label=_("Conflict override reason (admins only)"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, organisation: Any, is_admin: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=WRITING_ROLES,
        ).order_by("name", "email")
        if not is_admin:
            del self.fields["override_reason"]


class CasePartyAddForm(UniqueIds, forms.Form):
    id_prefix = "caseparty"
    party = ModelChoiceField(label=_("Party"), queryset=Party.objects.none())
    role = ChoiceField(label=_("Role"), choices=CaseParty.Role.choices)
    red_lines = forms.CharField(label=_("Red lines"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(organisation=organisation).order_by("name")


class IssueCreateForm(UniqueIds, forms.Form):
    id_prefix = "issue"
    title = forms.CharField(label=_("Issue"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PositionForm(forms.Form):
    position = forms.CharField(label=_("Position"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    interests = forms.CharField(label=_("Interests"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ShareGrantForm(UniqueIds, forms.Form):
    id_prefix = "share"
    organisation = ModelChoiceField(label=_("Organisation"), queryset=None)
    level = ChoiceField(label=_("Level"), choices=CaseShare.Level.choices)

    def __init__(self, *args: Any, exclude_organisation: Any, **kwargs: Any) -> None:
        from apps.accounts.models import Organisation

        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.exclude(pk=exclude_organisation.pk).order_by(
            "name"
        )


# --- parties -----------------------------------------------------------------------------------------


class PartyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=300)
    kind = ChoiceField(label=_("Kind"), choices=Party.Kind.choices)
    aliases = CommaListField(label=_("Aliases"), required=False, help_text=_("Other names, separated by commas."))
    country = ChoiceField(label=_("Country"), choices=_blank(countries, "—"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RepresentativeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    languages = CommaListField(label=_("Languages"), required=False, help_text=_("e.g. ar, fr, en"))
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC",
                                help_text=_("e.g. Africa/Nairobi"))
    authority = ChoiceField(label=_("Authority to commit"), choices=Representative.Authority.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


# --- portfolio ---------------------------------------------------------------------------------------


class PortfolioFilterForm(forms.Form):
    opened_from = forms.DateField(label=_("Opened from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    opened_to = forms.DateField(label=_("Opened until"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    country = ChoiceField(label=_("Country"), choices=_blank(countries), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and end < start:
            self.add_error("opened_to", _("The end of the period must come after its start."))
        return data
