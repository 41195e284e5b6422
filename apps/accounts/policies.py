"""Who may administer an organisation (DESIGN.md §3b, last row), in one place.

| decision                                        | function                 | who may                        |
|-------------------------------------------------|--------------------------|--------------------------------|
| members, roles, API keys, webhooks, reminder    | actor_may_administer     | the organisation's admins,     |
|   rules of an organisation                      |                          |   signed in (a key never       |
|                                                 |                          |   manages keys or members)     |
| parties and representatives of an organisation  | actor_may_write_parties  | its writing members and its    |
|   (reusable across its disputes)                |                          |   write keys                   |

Operators on the server (management commands) act without an actor: the services take
``actor=None`` for them and skip this check; no page or API call can pass None.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied


def actor_may_administer(*, actor: Actor, organisation_id: int) -> bool:
    return actor.is_admin and not actor.is_api_key and actor.organisation.pk == organisation_id


def actor_may_write_parties(*, actor: Actor, organisation_id: int) -> bool:
    return actor.can_write and actor.organisation.pk == organisation_id


def ensure_may_administer(*, actor: Actor, organisation_id: int, what: str = "") -> None:
    """``what`` names the thing in the refusal ("API keys", "webhooks", ...), already translated."""
    if not actor_may_administer(actor=actor, organisation_id=organisation_id):
        if what:
            raise AccessDenied(_("Only an admin of the organisation may manage %(what)s.") % {"what": what})
        raise AccessDenied(_("Only an admin of the organisation may do this."))


def ensure_may_write_parties(*, actor: Actor, organisation_id: int) -> None:
    if not actor_may_write_parties(actor=actor, organisation_id=organisation_id):
        raise AccessDenied(_("You may not change this organisation's parties."))
