"""Who may be told about a reminder's target now, and what (DESIGN.md §3b).

"People who lose access stop receiving": the recipients stored on a reminder are who it was
*meant* for when it was scheduled. At send time each of them is checked again, with the same
selectors the pages use, and the text is rendered from what that person may read now.

``reminders`` sits below the domain and never imports it, so each domain app registers, for
every target type it schedules, one function answering for one recipient::

    check(*, actor: Actor, target_ids: list[int]) -> {target_id: {context key: fresh value}}

``actor`` is the recipient as a member of the reminder's organisation (built from their
current membership; an inactive account or a removed membership never gets this far). A
target missing from the answer is one the recipient may not be reminded about any more; the
values returned replace the stored context when rendering, so a retitled session or a
reference the recipient may read now is what they see. The domain's ``notify.py`` modules
register their checks; ``RemindersConfig.ready`` imports them, so a worker has them too.

A target type without a registered check is delivered to nobody (and the reminder retries,
then fails, with the reason in ``last_error``): a forgotten registration must lose a notice
loudly rather than leak one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.reminders.models import Reminder

logger = logging.getLogger(__name__)

AudienceCheck = Callable[..., Mapping[int, Mapping[str, Any]]]

_checks: dict[str, AudienceCheck] = {}


def audience_register(target_type: str, check: AudienceCheck) -> None:
    """Register the domain's check for a target type ("<app_label>.<model_name>")."""
    _checks[target_type] = check


def audience_registered(target_type: str) -> bool:
    return target_type in _checks


def audience_reach(
    *, reminders: Iterable[Reminder], recipients: Mapping[int, Iterable[User]]
) -> tuple[dict[tuple[int, int], dict[str, Any]], set[str]]:
    """For each (reminder id, user id) the user may be told about now: the context to render with.

    ``recipients`` maps a reminder id to the active users stored on it. One query for the
    memberships, then one per (recipient, organisation, target type) however many reminders the
    batch holds. Returns the reachable pairs and the target types nobody registered a check for.
    """
    from apps.accounts.actors import Actor
    from apps.accounts.models import Membership

    reminders = list(reminders)
    by_id = {r.pk: r for r in reminders}
    users: dict[int, User] = {}
    for reminder_id, people in recipients.items():
        for user in people:
            if reminder_id in by_id:
                users[user.pk] = user
    if not users:
        return {}, set()
    memberships = Membership.objects.filter(
        organisation_id__in={r.organisation_id for r in reminders}, user_id__in=list(users), user__is_active=True
    ).select_related("organisation")
    actors = {
        (m.organisation_id, m.user_id): Actor(organisation=m.organisation, role=m.role, user=users[m.user_id])
        for m in memberships
    }
    # (organisation, user, target type) -> target id -> reminders about it
    wanted: dict[tuple[int, int, str], dict[int, list[Reminder]]] = defaultdict(lambda: defaultdict(list))
    for reminder_id, people in recipients.items():
        reminder = by_id.get(reminder_id)
        if reminder is None:
            continue
        for user in people:
            if (reminder.organisation_id, user.pk) in actors:  # a member still; otherwise nothing
                wanted[(reminder.organisation_id, user.pk, reminder.target_type)][reminder.target_id].append(reminder)

    reach: dict[tuple[int, int], dict[str, Any]] = {}
    unknown: set[str] = set()
    for (organisation_id, user_id, target_type), targets in wanted.items():
        check = _checks.get(target_type)
        if check is None:
            unknown.add(target_type)
            continue
        allowed = check(actor=actors[(organisation_id, user_id)], target_ids=sorted(targets))
        for target_id, fresh in allowed.items():
            for reminder in targets.get(target_id, ()):
                reach[(reminder.pk, user_id)] = {**(reminder.context or {}), **fresh}
    if unknown:
        logger.error("reminders: no recipient check registered for %s; nothing sent", ", ".join(sorted(unknown)))
    return reach, unknown
