"""Admin for support staff. Workflow fields (stage, closure, confidentiality, reference), the case team
and the shares are read-only here: they decide who reads a case, so they change only through the
services, which ask apps/disputes/policies.py (the organisation's admins, the lead mediator) and
write the audit trail."""

from django.contrib import admin

from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    RiskAssessment,
    StageChange,
)


class CasePartyInline(admin.TabularInline):
    model = CaseParty
    extra = 0
    raw_id_fields = ["party"]


class ViewOnly:
    """Listed and opened, never added, changed or deleted here (see the module docstring)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamInline(ViewOnly, admin.TabularInline):
    model = CaseTeamMember
    extra = 0
    raw_id_fields = ["user", "conflict_override_by"]


class IssueInline(admin.TabularInline):
    model = NegotiationIssue
    extra = 0


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "by", "by_label", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "organisation", "stage", "risk", "confidentiality", "opened_on"]
    list_filter = ["stage", "risk", "confidentiality", "process_format", "track", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["reference", "title", "summary", "ucdp_conflict_id", "pax_process_id"]
    readonly_fields = ["reference", "stage", "stage_before_suspension", "closed_on", "closure_reason",
                       "confidentiality", "risk"]
    inlines = [CasePartyInline, TeamInline, IssueInline, StageChangeInline]
    date_hierarchy = "opened_on"


@admin.register(CaseShare)
class CaseShareAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["dispute", "organisation", "level", "created_at", "revoked_at"]
    list_filter = ["level", ("revoked_at", admin.EmptyFieldListFilter), "organisation"]
    list_select_related = ["dispute", "organisation"]
    search_fields = ["dispute__reference", "dispute__title", "organisation__name"]
    raw_id_fields = ["dispute", "granted_by", "revoked_by"]


@admin.register(CaseTeamMember)
class CaseTeamMemberAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["dispute", "user", "role", "active", "starts_on", "ends_on"]
    list_filter = ["role", "active", "no_conflict_declared"]
    list_select_related = ["dispute", "user"]
    search_fields = ["dispute__reference", "user__email", "user__name", "affiliations"]
    raw_id_fields = ["dispute", "user", "conflict_override_by"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["dispute", "from_stage", "to_stage", "by_label", "created_at"]
    list_filter = ["to_stage", "from_stage"]
    list_select_related = ["dispute"]
    search_fields = ["dispute__reference", "by_label", "reason"]
    raw_id_fields = ["dispute", "by"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ["dispute", "risk", "previous", "assessed_on"]
    list_filter = ["risk"]
    list_select_related = ["dispute"]
    search_fields = ["dispute__reference", "reason"]
    raw_id_fields = ["dispute", "by"]
    date_hierarchy = "assessed_on"


@admin.register(NegotiationIssue)
class NegotiationIssueAdmin(admin.ModelAdmin):
    list_display = ["title", "dispute", "status", "order"]
    list_filter = ["status"]
    list_select_related = ["dispute"]
    search_fields = ["title", "description", "dispute__reference"]
    raw_id_fields = ["dispute"]


@admin.register(CaseParty)
class CasePartyAdmin(admin.ModelAdmin):
    list_display = ["dispute", "party", "role"]
    list_filter = ["role"]
    list_select_related = ["dispute", "party"]
    search_fields = ["dispute__reference", "party__name", "red_lines"]
    raw_id_fields = ["dispute", "party"]


@admin.register(PartyPosition)
class PartyPositionAdmin(admin.ModelAdmin):
    list_display = ["case_party", "issue", "updated_at"]
    list_filter = ["issue__status"]
    list_select_related = ["case_party__party", "issue"]
    search_fields = ["case_party__party__name", "issue__title", "position", "interests"]
    raw_id_fields = ["case_party", "issue"]
