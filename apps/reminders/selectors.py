from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.reminders.models import Notification, Reminder

if TYPE_CHECKING:
    from apps.accounts.actors import Actor
    from apps.accounts.models import Organisation, User


def notification_list_for_actor(*, actor: Actor) -> QuerySet[Notification]:
    """The caller's own notices in the current organisation; nobody sees another's."""
    return Notification.objects.filter(recipient_id=actor.user_id, organisation=actor.organisation).order_by(
        "-created_at", "-id"
    )


def notification_unread_count(*, user: User, organisation: Organisation) -> int:
    return Notification.objects.filter(recipient=user, organisation=organisation, read_at__isnull=True).count()


def reminder_list_for_dispute(*, organisation: Organisation, dispute_id: int) -> QuerySet[Reminder]:
    """For the dispute's reminders tab. The caller (disputes) checks the actor may see the dispute."""
    from apps.accounts.models import User

    return (
        Reminder.objects.filter(organisation=organisation, dispute_id=dispute_id)
        .prefetch_related(Prefetch("recipients", queryset=User.objects.only("pk", "email", "name")))
        .annotate(notified=Count("notifications", distinct=True))
        .order_by("due_at", "id")
    )


def reminder_list_for_target(*, organisation: Organisation, target_type: str, target_id: int) -> QuerySet[Reminder]:
    return Reminder.objects.filter(
        Q(organisation=organisation), target_type=target_type, target_id=target_id
    ).order_by("due_at", "id")
