import datetime as dt

import factory
from django.utils import timezone

from apps.reminders.models import Notification, Reminder, ReminderKind
from tests.factories.accounts import OrganisationFactory, UserFactory


class ReminderFactory(factory.django.DjangoModelFactory):
    """A pending reminder on a synthetic session target; pass recipients=[...] to set them."""

    class Meta:
        model = Reminder
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    kind = ReminderKind.SESSION_UPCOMING
    target_type = "mediation_sessions.session"
    target_id = factory.Sequence(lambda n: n + 1)
    key = factory.Sequence(lambda n: f"test:{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
    next_attempt_at = factory.SelfAttribute("due_at")
    context = factory.LazyAttribute(
        lambda o: {"title": f"Session {o.target_id}", "event_at": (o.due_at + dt.timedelta(hours=24)).isoformat()}
    )

    @factory.post_generation
    def recipients(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.recipients.set(extracted)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    reminder = factory.SubFactory(ReminderFactory, organisation=factory.SelfAttribute("..organisation"))
    title = factory.Sequence(lambda n: f"Notice {n}")
    body = "When: soon"
