import datetime as dt

import factory
from django.utils import timezone

from apps.reminders.models import Notification, Reminder, ReminderKind
from tests.factories.accounts import OrganisationFactory, UserFactory


def reminder_team(org, people, **dispute_fields):
    """A dispute of ``org`` whose case team is ``people`` (made mediators of ``org`` if they are not members).

    Delivery re-checks each recipient's access when it sends (apps/reminders/audience.py), so a
    reminder that should reach people needs a real target they are on the team of.
    """
    from apps.accounts.models import Membership
    from apps.disputes.models import CaseTeamMember
    from tests.factories.disputes import DisputeFactory

    for person in people:
        Membership.objects.get_or_create(user=person, organisation=org, defaults={"role": Membership.Role.MEDIATOR})
    dispute = DisputeFactory(organisation=org, lead=people[0], **dispute_fields)
    for person in people[1:]:
        CaseTeamMember.objects.create(dispute=dispute, user=person, role=CaseTeamMember.Role.CO_MEDIATOR,
                                      starts_on=dispute.opened_on)
    return dispute


def _target_type(obj) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


class ReminderFactory(factory.django.DjangoModelFactory):
    """A pending reminder; pass target=<a session or dispute> (delivered only to recipients who may see it
    now) or leave it out for a synthetic target nobody is told about; recipients=[...] sets the recipients."""

    class Meta:
        model = Reminder
        skip_postgeneration_save = True

    class Params:
        target = None

    organisation = factory.SubFactory(OrganisationFactory)
    kind = ReminderKind.SESSION_UPCOMING
    target_type = factory.LazyAttribute(lambda o: _target_type(o.target) if o.target else "mediation_sessions.session")
    target_id = factory.LazyAttributeSequence(lambda o, n: o.target.pk if o.target else n + 1)
    dispute_id = factory.LazyAttribute(lambda o: getattr(o.target, "dispute_id", o.target and o.target.pk))
    key = factory.Sequence(lambda n: f"test:{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
    next_attempt_at = factory.SelfAttribute("due_at")
    context = factory.LazyAttribute(
        lambda o: {"title": getattr(o.target, "title", None) or f"Session {o.target_id}",
                   "event_at": (o.due_at + dt.timedelta(hours=24)).isoformat()}
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
