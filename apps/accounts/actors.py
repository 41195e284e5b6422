"""The caller, whoever it is: a signed-in member or an organisation's API key.

Every selector and service takes an Actor, so the web app, the API and commands share
one set of access rules (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apps.accounts.models import Membership

if TYPE_CHECKING:
    from apps.accounts.models import Organisation, User

Role = Membership.Role

# The membership roles that write (and may sit on a case team), defined once for every app:
# analysts read the portfolio, partner-role members only reach the API.
WRITING_ROLES: tuple[str, ...] = (Role.ADMIN, Role.MEDIATOR, Role.CASE_OFFICER)


@dataclass(frozen=True)
class Actor:
    organisation: Organisation
    role: str
    user: User | None = None
    api_key_id: str | None = None
    api_key_name: str = ""
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))

    @classmethod
    def for_membership(cls, membership: Membership) -> Actor:
        return cls(organisation=membership.organisation, role=membership.role, user=membership.user)

    @property
    def label(self) -> str:
        if self.api_key_id:
            return f"API key {self.api_key_name or self.api_key_id} ({self.organisation.slug})"
        return str(self.user) if self.user is not None else "system"

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN and self.api_key_id is None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def can_write(self) -> bool:
        """Whether the role may write at all (rows still decide: case team, shares)."""
        if self.is_api_key:
            return "write" in self.scopes
        return self.role in WRITING_ROLES

    @property
    def may_read_team_notes(self) -> bool:
        """Analysts, partners and API keys never read team-only notes, whatever else they may."""
        return self.user is not None and not self.is_api_key and self.role not in (Role.ANALYST, Role.PARTNER)
