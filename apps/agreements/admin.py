"""Admin for support staff. Versions and assessments are history: shown, never edited here."""

from django.contrib import admin

from apps.agreements.models import (
    Agreement,
    AgreementLink,
    AgreementVersion,
    ImplementationAssessment,
    Provision,
    Signatory,
)


class _ReadOnlyHistory(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = AgreementVersion
    fields = ["number", "based_on", "change_summary", "is_amendment", "author_label", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    raw_id_fields = ["party", "representative"]


class ProvisionInline(admin.TabularInline):
    model = Provision
    fields = ["label", "order", "category", "deadline", "source_code"]
    extra = 0
    show_change_link = True


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["title", "dispute", "type", "status", "signed_on", "organisation", "ucdp_paid", "pax_agt_id"]
    list_filter = ["status", "type", "import_source", "organisation"]
    search_fields = ["title", "ucdp_paid", "pax_agt_id", "dispute__reference"]
    raw_id_fields = ["dispute", "organisation", "created_by"]
    filter_horizontal = ["third_parties"]
    date_hierarchy = "signed_on"
    inlines = [VersionInline, SignatoryInline, ProvisionInline]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(_ReadOnlyHistory):
    list_display = ["agreement", "number", "is_amendment", "author_label", "created_at"]
    search_fields = ["agreement__title", "change_summary"]
    readonly_fields = [f.name for f in AgreementVersion._meta.fields]


@admin.register(AgreementLink)
class AgreementLinkAdmin(admin.ModelAdmin):
    list_display = ["from_agreement", "kind", "to_agreement", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["from_agreement", "to_agreement"]


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = ["agreement", "party", "role", "signed_on", "place"]
    list_filter = ["role"]
    search_fields = ["party__name", "agreement__title"]
    raw_id_fields = ["agreement", "party", "representative"]


class AssessmentInline(admin.TabularInline):
    model = ImplementationAssessment
    fields = ["assessed_on", "score", "period_start", "period_end", "source", "assessed_by_label"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "agreement", "category", "deadline", "source_code"]
    list_filter = ["category"]
    search_fields = ["text", "label", "agreement__title"]
    raw_id_fields = ["agreement", "verifier_party", "verifier_organisation"]
    filter_horizontal = ["responsible_parties"]
    inlines = [AssessmentInline]


@admin.register(ImplementationAssessment)
class ImplementationAssessmentAdmin(_ReadOnlyHistory):
    list_display = ["provision", "score", "assessed_on", "assessed_by_label", "created_at"]
    list_filter = ["score"]
    search_fields = ["provision__text", "narrative", "source"]
    readonly_fields = [f.name for f in ImplementationAssessment._meta.fields]
