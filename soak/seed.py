"""Seeds the soak database and prints what the load needs as one JSON line (run with the soak's env).

One organisation; disputes with two parties and an issue each; web users (case officers on every
case team: 2FA stays optional for them, so the production setting can stay on); write API keys;
a webhook endpoint pointing at the soak's receiver on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import django

django.setup()

from apps.accounts.actors import Actor  # noqa: E402
from apps.accounts.models import Membership, Organisation, User  # noqa: E402
from apps.api.services import api_key_create  # noqa: E402
from apps.disputes.models import CaseParty, CaseTeamMember, Dispute, NegotiationIssue, StageChange  # noqa: E402
from apps.parties.models import Party  # noqa: E402
from apps.webhooks.services import webhook_endpoint_create  # noqa: E402


def main() -> None:
    web_users, keys, disputes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    receiver = sys.argv[4]
    password = os.environ["SOAK_PASSWORD"]
    org = Organisation.objects.create(name="Soak Mediation", slug="soak")
    admin = User.objects.create_user(email="admin@soak.invalid", password=password, name="Soak Admin")
    admin_m = Membership.objects.create(user=admin, organisation=org, role=Membership.Role.ADMIN)
    users = []
    for i in range(web_users):
        user = User.objects.create_user(email=f"officer{i}@soak.invalid", password=password, name=f"Officer {i}")
        Membership.objects.create(user=user, organisation=org, role=Membership.Role.CASE_OFFICER)
        users.append(user)
    out_disputes = []
    for i in range(disputes):
        dispute = Dispute.objects.create(organisation=org, reference=f"PC-2026-{i + 1:04d}", title=f"Soak case {i}",
                                         summary="Load and fault test.", opened_on=dt.date(2026, 1, 5))
        StageChange.objects.create(dispute=dispute, from_stage="", to_stage=dispute.stage, reason="opened")
        for j, user in enumerate(users):
            role = CaseTeamMember.Role.LEAD_MEDIATOR if j == 0 else CaseTeamMember.Role.CASE_OFFICER
            CaseTeamMember.objects.create(dispute=dispute, user=user, role=role, starts_on=dispute.opened_on)
        parties = [
            CaseParty.objects.create(
                dispute=dispute, role=CaseParty.Role.CONFLICT_PARTY,
                party=Party.objects.create(organisation=org, name=f"Side {i}{k}", kind=Party.Kind.STATE),
            )
            for k in "AB"
        ]
        issue = NegotiationIssue.objects.create(dispute=dispute, title=f"Issue {i}", order=1)
        out_disputes.append({"id": dispute.pk, "parties": [p.pk for p in parties], "issue": issue.pk})
    raw_keys = [api_key_create(actor=None, organisation=org, name=f"soak-{i}", scope="write")[1] for i in range(keys)]
    webhook_endpoint_create(actor=Actor.for_membership(admin_m), url=receiver, events=_events())
    print(json.dumps({"org": org.pk, "disputes": out_disputes, "keys": raw_keys,
                      "users": [u.email for u in users]}))


def _events() -> list[str]:
    from apps.webhooks.models import WebhookEvent

    return [e for e in WebhookEvent.values if e.startswith(("session.", "proposal."))]


if __name__ == "__main__":
    main()
