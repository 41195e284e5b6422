from __future__ import annotations

import pytest

from apps.api.base import ResourceViewSet
from apps.api.urls import router
from apps.api.webhooks import WebhookDeliveryViewSet


@pytest.mark.parametrize(
    "viewset",
    [
        *(vs for _prefix, vs, _name in router.registry if issubclass(vs, ResourceViewSet) and vs.list_fields),
        WebhookDeliveryViewSet,
    ],
)
def test_values_rows_match_the_documented_serializer(viewset):
    # The fast list path skips the serializer, so the schema is only true if the keys agree.
    assert set(viewset.list_fields) == set(viewset.serializer_class().fields)


def test_every_routed_resource_scopes_through_the_actor():
    for _prefix, viewset, _name in router.registry:
        assert "get_queryset" in viewset.__dict__, viewset  # no class-level queryset that skips scoping
