from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.services import audit_record, full_clean_or_raise, model_update_or_raise
from apps.parties.models import Party, Representative, normalise_name

PARTY_FIELDS = ["kind", "name", "aliases", "country", "notes"]
REPRESENTATIVE_FIELDS = ["name", "title", "email", "phone", "languages", "time_zone", "authority", "active"]


def _ensure_party_writer(actor: Actor, organisation_id: int) -> None:
    if not actor.can_write or actor.organisation.pk != organisation_id:
        raise AccessDenied(_("You may not change this organisation's parties."))


def _clean_aliases(aliases: list[str] | None) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for alias in aliases or []:
        alias = " ".join(str(alias).split())
        if alias and normalise_name(alias) not in seen:
            seen.add(normalise_name(alias))
            out.append(alias[:300])
    return out


def _ensure_unique_name(party: Party) -> None:
    clash = Party.objects.filter(organisation_id=party.organisation_id, normalised_name=normalise_name(party.name))
    if party.pk:
        clash = clash.exclude(pk=party.pk)
    if clash.exists():
        raise ApplicationError(_("A party with this name already exists in your organisation."), field="name")


@transaction.atomic
def party_create(
    *, actor: Actor, kind: str, name: str, aliases: list[str] | None = None, country: str = "", notes: str = ""
) -> Party:
    _ensure_party_writer(actor, actor.organisation.pk)
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(_("A party needs a name."), field="name")
    party = Party(organisation=actor.organisation, kind=kind, name=name, aliases=_clean_aliases(aliases),
                  country=(country or "").upper(), notes=notes or "")
    _ensure_unique_name(party)
    full_clean_or_raise(party, exclude=["normalised_name", "normalised_aliases"])
    party.save()
    audit_record(actor=actor, action="parties.party.created", target=party,
                 after={"name": party.name, "kind": kind, "country": str(party.country)})
    return party


@transaction.atomic
def party_update(*, actor: Actor, party: Party, data: dict) -> Party:
    _ensure_party_writer(actor, party.organisation_id)
    data = dict(data)
    if "name" in data:
        data["name"] = " ".join((data["name"] or "").split())
        if not data["name"]:
            raise ApplicationError(_("A party needs a name."), field="name")
    if "aliases" in data:
        data["aliases"] = _clean_aliases(data["aliases"])
    if "country" in data:
        data["country"] = (data["country"] or "").upper()
    if "name" in data:
        probe = Party(pk=party.pk, organisation_id=party.organisation_id, name=data["name"])
        _ensure_unique_name(probe)
    party, before, after = model_update_or_raise(instance=party, fields=PARTY_FIELDS, data=data)
    if before:
        audit_record(actor=actor, action="parties.party.updated", target=party, before=before, after=after)
    return party


@transaction.atomic
def representative_create(*, actor: Actor, party: Party, name: str, **fields) -> Representative:
    _ensure_party_writer(actor, party.organisation_id)
    unknown = set(fields) - set(REPRESENTATIVE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    rep = Representative(party=party, name=" ".join((name or "").split()), **fields)
    if not rep.name:
        raise ApplicationError(_("A representative needs a name."), field="name")
    full_clean_or_raise(rep)
    rep.save()
    audit_record(actor=actor, action="parties.representative.created", target=rep, organisation=actor.organisation,
                 after={"name": rep.name, "party": party.pk, "time_zone": rep.time_zone})
    return rep


@transaction.atomic
def representative_update(*, actor: Actor, representative: Representative, data: dict) -> Representative:
    _ensure_party_writer(actor, representative.party.organisation_id)
    rep, before, after = model_update_or_raise(instance=representative, fields=REPRESENTATIVE_FIELDS, data=data)
    if before:
        audit_record(actor=actor, action="parties.representative.updated", target=rep,
                     organisation=actor.organisation, before=before, after=after)
    return rep
