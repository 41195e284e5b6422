"""Factories for the mediation record. They write rows directly (no services, no reminders):
use them for fixtures and bulk data; tests of rules go through the services."""

import datetime as dt

import factory

from apps.sessions.models import (
    ActionItem,
    MediationSession,
    SessionKind,
    SessionNote,
    SessionNoteVersion,
    SessionParty,
    ShuttleRound,
    Visibility,
)
from tests.factories.disputes import DisputeFactory, NegotiationIssueFactory

BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class MediationSessionFactory(factory.django.DjangoModelFactory):
    """A planned joint session; pass parties=[case_party, ...] to attach attendance."""

    class Meta:
        model = MediationSession
        skip_postgeneration_save = True

    dispute = factory.SubFactory(DisputeFactory)
    kind = SessionKind.JOINT
    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.Sequence(lambda n: BASE + dt.timedelta(hours=n))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    time_zone = "Africa/Nairobi"
    status = MediationSession.Status.PLANNED

    @factory.post_generation
    def parties(obj, create, extracted, **kwargs):
        if create and extracted:
            SessionParty.objects.bulk_create([SessionParty(session=obj, case_party=cp) for cp in extracted])


class SessionNoteFactory(factory.django.DjangoModelFactory):
    """A note with its first version."""

    class Meta:
        model = SessionNote
        skip_postgeneration_save = True

    session = factory.SubFactory(MediationSessionFactory)
    dispute = factory.SelfAttribute("session.dispute")
    text = factory.Sequence(lambda n: f"Note text {n}")
    visibility = Visibility.SHARED
    author_label = "factory"

    @factory.post_generation
    def first_version(obj, create, extracted, **kwargs):
        if create:
            SessionNoteVersion.objects.create(note=obj, version=1, text=obj.text, visibility=obj.visibility,
                                              written_at=obj.created_at)


class ShuttleRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShuttleRound

    dispute = factory.SubFactory(DisputeFactory)
    subject_issue = factory.SubFactory(NegotiationIssueFactory, dispute=factory.SelfAttribute("..dispute"))
    opened_at = BASE


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    session = factory.SubFactory(MediationSessionFactory)
    dispute = factory.SelfAttribute("session.dispute")
    description = factory.Sequence(lambda n: f"Follow up {n}")
    due_on = dt.date(2026, 4, 1)
