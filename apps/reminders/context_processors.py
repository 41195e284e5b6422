from __future__ import annotations

from functools import cache

from django.http import HttpRequest

from apps.accounts.middleware import current_membership
from apps.reminders.selectors import notification_unread_count


def unread_notifications(request: HttpRequest) -> dict:
    """The bell's count: one query, and only on pages that show it (templates call the function)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        membership = current_membership(request)  # cached on the request by the accounts middleware
        if membership is None:
            return 0
        return notification_unread_count(user=user, organisation=membership.organisation)

    return {"unread_notifications": count}
