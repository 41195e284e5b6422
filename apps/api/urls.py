from django.urls import include, path, re_path

from apps.api import accounts, webhooks
from apps.api.base import ResourceRouter
from apps.api.docs import redoc_view, schema_view, swagger_view
from apps.api.problems import not_found

router = ResourceRouter()
router.register("members", accounts.MemberViewSet, basename="member")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")

v1 = [
    path("organisation/", accounts.OrganisationView.as_view(), name="organisation"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/",
        webhooks.WebhookDeliveryViewSet.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    *router.urls,
]

urlpatterns = [
    path("schema/", schema_view, name="api-schema"),
    path("docs/", swagger_view, name="api-docs"),
    path("redoc/", redoc_view, name="api-redoc"),
    path("v1/", include((v1, "api"), namespace="v1")),
    # Anything else under /api/ is a 404 in the API's error shape, not an HTML page.
    re_path(r"^.*$", not_found),
]
