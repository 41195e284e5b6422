from apps.accounts.middleware import current_membership
from apps.accounts.selectors import membership_list_for_user


def organisation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return list(membership_list_for_user(user=user))

    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organisation": membership.organisation if membership else None,
        "my_memberships": memberships,
    }
