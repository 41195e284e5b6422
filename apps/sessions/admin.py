"""Admin for the mediation record: read-only, since every write goes through the services
(versions, the ledger's rules, reminders, the audit trail).

Team-only notes are excluded from the admin entirely — from the note list, the note pages
and the version history — whoever is looking. The admin is the platform operators' tool: it
is not scoped by organisation and cannot audit reads, so a team note is read only where the
case team reads it, in the app, with every read audited (DESIGN.md §2–§3). Disclosures and
consents show which note (by number), never its text.
"""

from __future__ import annotations

from django.contrib import admin

from apps.sessions.models import (
    ActionItem,
    Disclosure,
    DisclosureConsent,
    MediationSession,
    SessionAgendaItem,
    SessionNote,
    SessionNoteVersion,
    SessionParty,
    SessionRepresentative,
    SessionTeamMember,
    ShuttleRound,
    ShuttleRoundParty,
    Visibility,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SessionPartyInline(ReadOnlyInline):
    model = SessionParty


class SessionRepresentativeInline(ReadOnlyInline):
    model = SessionRepresentative


class SessionTeamInline(ReadOnlyInline):
    model = SessionTeamMember


class AgendaInline(ReadOnlyInline):
    model = SessionAgendaItem


@admin.register(MediationSession)
class MediationSessionAdmin(ReadOnlyAdmin):
    list_display = ["title", "dispute", "kind", "status", "starts_at", "time_zone", "shuttle_round"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "dispute__reference"]
    date_hierarchy = "starts_at"
    list_select_related = ["dispute", "shuttle_round"]
    # Summaries and outcomes can quote a caucus: shown only in the app, to those who may read the dispute.
    exclude = ["summary", "outcomes"]
    inlines = [SessionPartyInline, SessionRepresentativeInline, SessionTeamInline, AgendaInline]


@admin.register(SessionNote)
class SessionNoteAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "session", "dispute", "visibility", "author_label", "version", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["dispute__reference", "session__title"]
    list_select_related = ["session", "dispute"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(visibility=Visibility.TEAM)


@admin.register(SessionNoteVersion)
class SessionNoteVersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "note", "version", "visibility", "written_by_label", "written_at"]
    list_select_related = ["note"]

    def get_queryset(self, request):
        # The note's current visibility decides: a note narrowed to team-only hides its whole history.
        return super().get_queryset(request).exclude(note__visibility=Visibility.TEAM)


@admin.register(DisclosureConsent)
class DisclosureConsentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "source_party", "given_by_name", "method", "given_at", "withdrawn_at"]
    list_filter = ["method"]
    search_fields = ["dispute__reference", "given_by_name", "reference"]
    raw_id_fields = ["note"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "to_party", "note_visibility", "disclosed_by_label", "disclosed_at"]
    list_filter = ["note_visibility"]
    search_fields = ["dispute__reference", "disclosed_by_label"]
    raw_id_fields = ["note", "proposal", "session", "consent"]
    list_select_related = ["dispute", "to_party__party"]


class ShuttleRoundPartyInline(ReadOnlyInline):
    model = ShuttleRoundParty


@admin.register(ShuttleRound)
class ShuttleRoundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "status", "opened_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["title", "dispute__reference"]
    inlines = [ShuttleRoundPartyInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dispute", "owner_user", "owner_party", "due_on", "done_at"]
    list_filter = ["done_at"]
    search_fields = ["description", "dispute__reference"]
    list_select_related = ["dispute", "owner_user", "owner_party__party"]


admin.site.register(SessionParty, ReadOnlyAdmin, list_display=["session", "case_party"])
admin.site.register(SessionRepresentative, ReadOnlyAdmin, list_display=["session", "representative", "case_party"])
admin.site.register(SessionTeamMember, ReadOnlyAdmin, list_display=["session", "user"])
admin.site.register(SessionAgendaItem, ReadOnlyAdmin, list_display=["session", "issue", "order"])
admin.site.register(ShuttleRoundParty, ReadOnlyAdmin, list_display=["shuttle_round", "case_party", "order"])
