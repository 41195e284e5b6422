"""Admin for proposals: read-only, since tabling, answering and superseding go through the services."""

from __future__ import annotations

from django.contrib import admin

from apps.negotiations.models import Proposal, ProposalResponse


class ProposalResponseInline(admin.TabularInline):
    model = ProposalResponse
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "dispute", "issue", "tabled_by", "bridging", "status", "tabled_at", "response_deadline"]
    list_filter = ["status", "bridging"]
    search_fields = ["dispute__reference", "issue__title"]
    raw_id_fields = ["responds_to", "tabled_in"]
    list_select_related = ["dispute", "issue", "tabled_by__party"]
    inlines = [ProposalResponseInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProposalResponse)
class ProposalResponseAdmin(admin.ModelAdmin):
    list_display = ["proposal", "case_party", "stance", "responded_at"]
    list_filter = ["stance"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
