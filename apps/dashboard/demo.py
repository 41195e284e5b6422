"""Demo data: two organisations with their people (the portfolio is added by later apps)."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.models import Membership, Organisation, User

ORGS = [
    ("demo", "Demo Mediation Unit", Organisation.Kind.UN_MSU),
    ("partner", "Partner NGO", Organisation.Kind.NGO),
]
PEOPLE = [
    ("admin", Membership.Role.ADMIN, "Amina Okafor", "Africa/Lagos"),
    ("mediator", Membership.Role.MEDIATOR, "Lukas Brandt", "Europe/Berlin"),
    ("analyst", Membership.Role.ANALYST, "Sofia Reyes", "America/Bogota"),
]


@transaction.atomic
def seed_people(*, password: str) -> dict[str, User]:
    users: dict[str, User] = {}
    for slug, name, kind in ORGS:
        org, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
        for local, role, person, tz in PEOPLE:
            email = f"{local}@{slug}.example"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=password, name=f"{person} ({slug})",
                                                time_zone=tz)
            Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": role})
            users[email] = user
    return users
