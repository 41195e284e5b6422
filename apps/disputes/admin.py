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


class TeamInline(admin.TabularInline):
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
    list_filter = ["stage", "risk", "confidentiality", "process_format", "organisation"]
    search_fields = ["reference", "title"]
    readonly_fields = ["reference", "stage", "stage_before_suspension"]
    inlines = [CasePartyInline, TeamInline, IssueInline, StageChangeInline]
    date_hierarchy = "opened_on"


@admin.register(CaseShare)
class CaseShareAdmin(admin.ModelAdmin):
    list_display = ["dispute", "organisation", "level", "created_at", "revoked_at"]
    list_filter = ["level"]
    raw_id_fields = ["dispute", "granted_by", "revoked_by"]


@admin.register(CaseTeamMember)
class CaseTeamMemberAdmin(admin.ModelAdmin):
    list_display = ["dispute", "user", "role", "active", "starts_on", "ends_on"]
    list_filter = ["role", "active"]
    search_fields = ["dispute__reference", "user__email"]
    raw_id_fields = ["dispute", "user", "conflict_override_by"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["dispute", "from_stage", "to_stage", "by_label", "created_at"]
    list_filter = ["to_stage"]
    raw_id_fields = ["dispute", "by"]


admin.site.register(RiskAssessment, list_display=["dispute", "risk", "assessed_on"], raw_id_fields=["dispute", "by"])
admin.site.register(NegotiationIssue, list_display=["title", "dispute", "status", "order"], raw_id_fields=["dispute"])
admin.site.register(CaseParty, list_display=["dispute", "party", "role"], raw_id_fields=["dispute", "party"])
admin.site.register(PartyPosition, raw_id_fields=["case_party", "issue"])
