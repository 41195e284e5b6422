from django.urls import path

from apps.dashboard.views import calendar, disputes, home, organisation, parties, portfolio
from apps.dashboard.views import sessions as session_views

urlpatterns = [
    path("", home.home, name="home"),
    # disputes and the case workspace
    path("disputes/", disputes.dispute_list, name="dispute_list"),
    path("disputes/export.csv", disputes.dispute_export, name="dispute_export"),
    path("disputes/new/", disputes.dispute_create, name="dispute_create"),
    path("disputes/<int:pk>/", disputes.dispute_detail_view, name="dispute_detail"),
    path("disputes/<int:pk>/edit/", disputes.dispute_edit, name="dispute_edit"),
    path("disputes/<int:pk>/stage/", disputes.dispute_stage, name="dispute_stage"),
    path("disputes/<int:pk>/risk/", disputes.dispute_risk, name="dispute_risk"),
    path("disputes/<int:pk>/team/", disputes.dispute_team_add, name="dispute_team_add"),
    path("disputes/<int:pk>/team/<int:member_id>/remove/", disputes.dispute_team_remove,
         name="dispute_team_remove"),
    path("disputes/<int:pk>/parties/", disputes.dispute_party_add, name="dispute_party_add"),
    path("disputes/<int:pk>/parties/<int:case_party_id>/issues/<int:issue_id>/", disputes.dispute_position_set,
         name="dispute_position_set"),
    path("disputes/<int:pk>/issues/", disputes.dispute_issue_add, name="dispute_issue_add"),
    path("disputes/<int:pk>/shares/", disputes.dispute_share_grant, name="dispute_share_grant"),
    path("disputes/<int:pk>/shares/<int:share_id>/revoke/", disputes.dispute_share_revoke,
         name="dispute_share_revoke"),
    # sessions (names start with "dispute_" so the navigation marks Disputes)
    path("disputes/<int:pk>/sessions/new/", session_views.session_create, name="dispute_session_create"),
    path("sessions/time-preview/", session_views.session_time_preview, name="dispute_session_time_preview"),
    path("sessions/<int:pk>/", session_views.session_detail, name="dispute_session_detail"),
    path("sessions/<int:pk>/notes/", session_views.session_note_add, name="dispute_session_note_add"),
    path("sessions/<int:pk>/notes/<int:note_id>/", session_views.session_note_edit, name="dispute_session_note_edit"),
    path("sessions/<int:pk>/attendance/", session_views.session_attendance, name="dispute_session_attendance"),
    path("sessions/<int:pk>/record/", session_views.session_record, name="dispute_session_record"),
    path("sessions/<int:pk>/actions/", session_views.session_action_add, name="dispute_session_action_add"),
    path("sessions/<int:pk>/actions/<int:item_id>/done/", session_views.session_action_done,
         name="dispute_session_action_done"),
    path("sessions/<int:pk>/<slug:action>/", session_views.session_status, name="dispute_session_status"),
    # parties
    path("parties/", parties.party_list_view, name="party_list"),
    path("parties/new/", parties.party_create, name="party_create"),
    path("parties/<int:pk>/", parties.party_detail, name="party_detail"),
    path("parties/<int:pk>/edit/", parties.party_edit, name="party_edit"),
    path("parties/<int:party_pk>/representatives/new/", parties.representative_create,
         name="representative_create"),
    path("representatives/<int:pk>/edit/", parties.representative_edit, name="representative_edit"),
    # organisation
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/new/", calendar.calendar_feed_create, name="calendar_feed_create"),
    path("calendar/feed/revoke/", calendar.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("calendar/feed/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("portfolio/<slug:figure>.csv", portfolio.portfolio_csv, name="portfolio_csv"),
    path("settings/", organisation.organisation_settings, name="organisation_settings"),
]
