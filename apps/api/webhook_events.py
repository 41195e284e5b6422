"""What each webhook event carries, for the OpenAPI document's ``webhooks`` section.

Listed in SPECTACULAR_SETTINGS["WEBHOOKS"], so a client generator reads the payloads beside the
API. The payloads themselves are built by the domain's notify modules (apps/*/notify.py and
``_emit`` in apps/disputes/services.py); tests/webhooks/test_event_schemas.py compares real
deliveries with these serializers, so the two cannot drift apart silently.

Every delivery is ``{"type": <event>, "timestamp": <when it happened, UTC>, "data": <below>}``,
sent as a POST with the Standard Webhooks headers ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` (see docs/webhooks.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from apps.agreements.models import AgreementStatus, AgreementType, ImplementationLevel, ProvisionCategory
from apps.disputes.models import Stage
from apps.negotiations.models import ProposalStatus
from apps.sessions.models import MediationSession, SessionKind
from apps.webhooks.models import WebhookEvent


class DisputeRef(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class SessionRef(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    status = serializers.ChoiceField(choices=MediationSession.Status.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text=_("The venue's IANA time zone."))
    shuttle_round = serializers.IntegerField(allow_null=True)


class SessionEventData(serializers.Serializer):
    dispute = DisputeRef()
    session = SessionRef()


# "from" is a Python keyword: the class is built with type() so the field keeps the payload's name.
StageChangedData = type("StageChangedData", (serializers.Serializer,), {
    "dispute": DisputeRef(),
    "from": serializers.ChoiceField(choices=Stage.choices),
    "to": serializers.ChoiceField(choices=Stage.choices),
})


class ProposalRef(serializers.Serializer):
    id = serializers.IntegerField()
    issue = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    tabled_by = serializers.IntegerField(allow_null=True, help_text=_("The party (null for a bridging proposal)."))
    bridging = serializers.BooleanField()
    responds_to = serializers.IntegerField(allow_null=True)
    tabled_in = serializers.IntegerField(allow_null=True, help_text=_("The session it was tabled in."))
    tabled_at = serializers.DateTimeField()
    response_deadline = serializers.DateTimeField(allow_null=True)


class ProposalEventData(serializers.Serializer):
    dispute = DisputeRef()
    proposal = ProposalRef()


class AgreementRef(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=AgreementType.choices)
    status = serializers.ChoiceField(choices=AgreementStatus.choices)
    signed_on = serializers.DateField(allow_null=True)


class AgreementSignedData(serializers.Serializer):
    agreement = AgreementRef()
    dispute = DisputeRef()


class AssessmentRef(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.ChoiceField(choices=ImplementationLevel.choices)
    assessed_on = serializers.DateField()


class ProvisionRef(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    category = serializers.ChoiceField(choices=ProvisionCategory.choices)
    current_score = serializers.ChoiceField(choices=ImplementationLevel.choices, allow_null=True)


class AgreementIdRef(serializers.Serializer):
    id = serializers.IntegerField()


class AssessmentRecordedData(serializers.Serializer):
    assessment = AssessmentRef()
    provision = ProvisionRef()
    agreement = AgreementIdRef()
    dispute = DisputeRef()


class EndpointIdRef(serializers.Serializer):
    id = serializers.IntegerField()


class OrganisationSlugRef(serializers.Serializer):
    slug = serializers.CharField()


class PingData(serializers.Serializer):
    endpoint = EndpointIdRef()
    organisation = OrganisationSlugRef()


# event -> the serializer of its ``data``
EVENT_DATA: dict[str, type[serializers.Serializer]] = {  # keyed by the plain value (str enum)
    WebhookEvent.DISPUTE_STAGE_CHANGED: StageChangedData,
    WebhookEvent.SESSION_SCHEDULED: SessionEventData,
    WebhookEvent.SESSION_RESCHEDULED: SessionEventData,
    WebhookEvent.SESSION_CANCELLED: SessionEventData,
    WebhookEvent.SESSION_HELD: SessionEventData,
    WebhookEvent.PROPOSAL_TABLED: ProposalEventData,
    WebhookEvent.PROPOSAL_ANSWERED: ProposalEventData,
    WebhookEvent.AGREEMENT_SIGNED: AgreementSignedData,
    WebhookEvent.PROVISION_ASSESSMENT_RECORDED: AssessmentRecordedData,
    WebhookEvent.PING: PingData,
}

_DESCRIPTION = _(
    "Sent to the endpoints of every organisation whose integrations may read the dispute: the owner "
    "and organisations with an active share, never for a restricted dispute, checked again when sent. "
    "Verify the webhook-signature header (Standard Webhooks) before trusting the body; deduplicate on "
    "webhook-id. Answer 2xx within 10 seconds; anything else is retried with back-off for at least 24 hours."
)


def _webhook(event: WebhookEvent) -> OpenApiWebhook:
    data = EVENT_DATA[event]
    name = "".join(part.title() for part in event.replace(".", "_").split("_"))
    envelope = type(f"{name}Event", (serializers.Serializer,), {
        "type": serializers.ChoiceField(choices=[(event.value, event.value)]),
        "timestamp": serializers.DateTimeField(help_text=_("When the change happened (UTC).")),
        "data": data(),
    })
    return OpenApiWebhook(name=event.value, decorator=extend_schema(
        summary=str(event.label), description=_DESCRIPTION, request=envelope,
        responses={200: OpenApiResponse(description=_("Received (any 2xx)."))},
    ))


# One module attribute per event: SPECTACULAR_SETTINGS["WEBHOOKS"] names each by import path.
DISPUTE_STAGE_CHANGED = _webhook(WebhookEvent.DISPUTE_STAGE_CHANGED)
SESSION_SCHEDULED = _webhook(WebhookEvent.SESSION_SCHEDULED)
SESSION_RESCHEDULED = _webhook(WebhookEvent.SESSION_RESCHEDULED)
SESSION_CANCELLED = _webhook(WebhookEvent.SESSION_CANCELLED)
SESSION_HELD = _webhook(WebhookEvent.SESSION_HELD)
PROPOSAL_TABLED = _webhook(WebhookEvent.PROPOSAL_TABLED)
PROPOSAL_ANSWERED = _webhook(WebhookEvent.PROPOSAL_ANSWERED)
AGREEMENT_SIGNED = _webhook(WebhookEvent.AGREEMENT_SIGNED)
PROVISION_ASSESSMENT_RECORDED = _webhook(WebhookEvent.PROVISION_ASSESSMENT_RECORDED)
PING = _webhook(WebhookEvent.PING)



def payload_matches(event: str, data: Any) -> list[str]:
    """Differences between a real payload and its documented shape (keys and nulls), for the tests."""
    return _diff(EVENT_DATA[event](), data, "data")


def _diff(serializer: serializers.Field, value: Any, path: str) -> list[str]:
    if isinstance(serializer, serializers.Serializer):
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        fields = serializer.fields
        problems = [f"{path}.{k}: not documented" for k in value.keys() - fields.keys()]
        problems += [f"{path}.{k}: missing" for k in fields.keys() - value.keys()]
        for key in fields.keys() & value.keys():
            problems += _diff(fields[key], value[key], f"{path}.{key}")
        return problems
    if value is None:
        return [] if serializer.allow_null else [f"{path}: null but not nullable"]
    try:
        serializer.run_validation(value)
    except serializers.ValidationError as exc:
        return [f"{path}: {exc.detail}"]
    return []


_SIGNATURE_HEADERS = [
    ("webhook-id", _("The message id, the same on every attempt and redelivery: deduplicate on it.")),
    ("webhook-timestamp", _("Seconds since the epoch when this attempt was signed; refuse old ones.")),
    ("webhook-signature", _("Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body`; "
                            "two during a secret rotation. Any one that verifies is enough.")),
]


def postprocess_webhooks(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The receiver's side of each webhook: its answer is any 2xx (the API's error responses, added
    to every operation by PeaceCaseAutoSchema, are not the receiver's), and the signature headers."""
    for path_item in result.get("webhooks", {}).values():
        for operation in path_item.values():
            operation["responses"] = {c: r for c, r in operation.get("responses", {}).items() if c.startswith("2")}
            operation["parameters"] = [
                {"in": "header", "name": name, "required": True, "schema": {"type": "string"},
                 "description": str(text)}
                for name, text in _SIGNATURE_HEADERS
            ]
    return result
