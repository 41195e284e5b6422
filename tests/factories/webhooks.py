import factory

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.transport import generate_secret
from tests.factories.accounts import OrganisationFactory


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    organisation = factory.SubFactory(OrganisationFactory)
    url = "https://hooks.example.org/peacecase"
    events = factory.LazyFunction(lambda: [WebhookEvent.SESSION_SCHEDULED])
    secret = factory.LazyFunction(generate_secret)
    active = True


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = WebhookEvent.SESSION_SCHEDULED
    payload = factory.LazyFunction(lambda: {"session_id": 1})
    webhook_id = factory.Sequence(lambda n: f"msg_test{n}")
