from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from apps.api import (
    accounts,
    agreements,
    audit,
    changes,
    disputes,
    keys,
    negotiations,
    parties,
    reminders,
    sessions,
    webhooks,
)
from apps.api.base import ResourceRouter
from apps.api.docs import redoc_view, schema_view, swagger_view
from apps.api.problems import not_found

router = ResourceRouter()
router.register("members", accounts.MemberViewSet, basename="member")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")
router.register("api-keys", keys.APIKeyViewSet, basename="api-key")
router.register("parties", parties.PartyViewSet, basename="party")
router.register("representatives", parties.RepresentativeViewSet, basename="representative")
router.register("disputes", disputes.DisputeViewSet, basename="dispute")
router.register("stage-changes", disputes.StageChangeViewSet, basename="stage-change")
router.register("risk-assessments", disputes.RiskAssessmentViewSet, basename="risk-assessment")
router.register("case-parties", disputes.CasePartyViewSet, basename="case-party")
router.register("issues", disputes.NegotiationIssueViewSet, basename="issue")
router.register("positions", disputes.PositionViewSet, basename="position")
router.register("team-members", disputes.TeamMemberViewSet, basename="team-member")
router.register("shares", disputes.CaseShareViewSet, basename="share")
router.register("sessions", sessions.SessionViewSet, basename="session")
router.register("notes", sessions.NoteViewSet, basename="note")
router.register("disclosures", sessions.DisclosureViewSet, basename="disclosure")
router.register("consents", sessions.ConsentViewSet, basename="consent")
router.register("shuttle-rounds", sessions.ShuttleRoundViewSet, basename="shuttle-round")
router.register("action-items", sessions.ActionItemViewSet, basename="action-item")
router.register("proposals", negotiations.ProposalViewSet, basename="proposal")
router.register("agreements", agreements.AgreementViewSet, basename="agreement")
router.register("agreement-versions", agreements.AgreementVersionViewSet, basename="agreement-version")
router.register("signatories", agreements.SignatoryViewSet, basename="signatory")
router.register("provisions", agreements.ProvisionViewSet, basename="provision")
router.register("assessments", agreements.AssessmentViewSet, basename="assessment")
router.register("notifications", reminders.NotificationViewSet, basename="notification")
router.register("audit-events", audit.AuditEventViewSet, basename="audit-event")
router.register("changes", changes.ChangeViewSet, basename="change")

v1 = [
    path("organisation/", accounts.OrganisationView.as_view(), name="organisation"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/",
        webhooks.WebhookDeliveryViewSet.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:pk>/redeliver/",
        webhooks.WebhookDeliveryViewSet.as_view({"post": "redeliver"}),
        name="webhook-delivery-redeliver",
    ),
    path("disputes/<int:pk>/timeline/", disputes.DisputeTimelineView.as_view(), name="dispute-timeline"),
    path("disputes/<int:pk>/current-texts/", negotiations.CurrentTextsView.as_view(), name="dispute-current-texts"),
    path("issues/<int:pk>/thread/", negotiations.IssueThreadView.as_view(), name="issue-thread"),
    path("agreements/<int:pk>/diff/", agreements.AgreementDiffView.as_view(), name="agreement-diff"),
    path("rollups/", agreements.RollupView.as_view(), name="rollups"),
    path("reminder-rules/", reminders.ReminderRulesView.as_view(), name="reminder-rules"),
    *router.urls,
]

urlpatterns = [
    path("schema/", schema_view, name="api-schema"),
    path("docs/", swagger_view, name="api-docs"),
    path("redoc/", redoc_view, name="api-redoc"),
    path("v1/", include((v1, "api"), namespace="v1")),
    # Anything else under /api/ is a 404 in the API's error shape, not an HTML page (nor the CSRF
    # middleware's HTML 403 for an unsafe method carrying a cookie: the answer is a 404 either way).
    re_path(r"^.*$", csrf_exempt(not_found)),
]
