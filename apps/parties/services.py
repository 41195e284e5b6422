from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.accounts.policies import ensure_may_write_parties
from apps.common.errors import ApplicationError
from apps.common.services import audit_record, full_clean_or_raise, model_update_or_raise
from apps.common.text import clean_name
from apps.parties.models import Party, Representative, normalise_name, validate_country_code, validate_language_code

PARTY_FIELDS = ["kind", "name", "aliases", "country", "notes"]
REPRESENTATIVE_FIELDS = ["name", "title", "email", "phone", "languages", "time_zone", "authority", "active"]


def _ensure_party_writer(actor: Actor, organisation_id: int) -> None:
    """Parties belong to one organisation: its writing members (and write-scoped keys) change them."""
    ensure_may_write_parties(actor=actor, organisation_id=organisation_id)


def _clean_name(value: str | None, *, message: str) -> str:
    name = clean_name(value)  # invisible format characters and extra spaces out (apps/common/text.py)
    if not name:
        raise ApplicationError(message, field="name")
    return name


def _clean_aliases(aliases: list[str] | None, *, name: str = "") -> list[str]:
    """Trimmed, de-duplicated aliases; an alias that only repeats the name is dropped."""
    seen: set[str] = {normalise_name(name)} if name else set()
    out: list[str] = []
    for alias in aliases or []:
        alias = clean_name(alias)[:300]
        key = normalise_name(alias)
        if key and key not in seen:
            seen.add(key)
            out.append(alias)
    return out


def _clean_country(value: str | None) -> str:
    code = (value or "").strip().upper()
    try:
        validate_country_code(code)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], field="country") from exc
    return code


def _clean_languages(value: list[str] | None) -> list[str]:
    out: list[str] = []
    for code in value or []:
        code = str(code).strip().lower().replace("_", "-")
        try:
            validate_language_code(code)
        except ValidationError as exc:
            raise ApplicationError(exc.messages[0], field="languages") from exc
        if code not in out:
            out.append(code)
    return out


def _ensure_unique_name(*, organisation_id: int, name: str, exclude_pk: int | None = None) -> None:
    clash = Party.objects.filter(organisation_id=organisation_id, normalised_name=normalise_name(name))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(_("A party with this name already exists in your organisation."), field="name")


def _save_party(party: Party, **kwargs: Any) -> None:
    # Two people creating the same party at once: the unique constraint decides, the loser gets the message.
    try:
        with transaction.atomic():
            party.save(**kwargs)
    except IntegrityError as exc:
        raise ApplicationError(
            _("A party with this name already exists in your organisation."), field="name"
        ) from exc


@transaction.atomic
def party_create(
    *, actor: Actor, kind: str, name: str, aliases: list[str] | None = None, country: str = "", notes: str = ""
) -> Party:
    _ensure_party_writer(actor, actor.organisation.pk)
    name = _clean_name(name, message=_("A party needs a name."))
    party = Party(organisation=actor.organisation, kind=kind, name=name, aliases=_clean_aliases(aliases, name=name),
                  country=_clean_country(country), notes=notes or "")
    _ensure_unique_name(organisation_id=actor.organisation.pk, name=name)
    full_clean_or_raise(party, exclude=["normalised_name", "normalised_aliases"])
    _save_party(party)
    audit_record(actor=actor, action="parties.party.created", target=party,
                 after={"name": party.name, "kind": kind, "aliases": party.aliases, "country": party.country})
    return party


@transaction.atomic
def party_update(*, actor: Actor, party: Party, data: dict) -> Party:
    """Change a party's fields (only those in ``data``); the audit event holds the changed ones."""
    _ensure_party_writer(actor, party.organisation_id)
    data = {k: v for k, v in data.items() if k in PARTY_FIELDS}
    if "name" in data:
        data["name"] = _clean_name(data["name"], message=_("A party needs a name."))
        _ensure_unique_name(organisation_id=party.organisation_id, name=data["name"], exclude_pk=party.pk)
    if "aliases" in data:
        data["aliases"] = _clean_aliases(data["aliases"], name=data.get("name", party.name))
    if "country" in data:
        data["country"] = _clean_country(data["country"])
    if "notes" in data:
        data["notes"] = data["notes"] or ""
    try:
        with transaction.atomic():
            party, before, after = model_update_or_raise(instance=party, fields=PARTY_FIELDS, data=data)
    except IntegrityError as exc:
        raise ApplicationError(
            _("A party with this name already exists in your organisation."), field="name"
        ) from exc
    if before:
        audit_record(actor=actor, action="parties.party.updated", target=party, before=before, after=after)
    return party


def _representative_data(data: dict, *, strict: bool) -> dict:
    unknown = set(data) - set(REPRESENTATIVE_FIELDS)
    if unknown and not strict:
        data = {k: v for k, v in data.items() if k in REPRESENTATIVE_FIELDS}
    elif unknown:
        raise ApplicationError(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))},
                               field=sorted(unknown)[0])
    data = dict(data)
    if "name" in data:
        data["name"] = _clean_name(data["name"], message=_("A representative needs a name."))
    if "languages" in data:
        data["languages"] = _clean_languages(data["languages"])
    for key in ("title", "email", "phone"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "time_zone" in data:
        data["time_zone"] = (data["time_zone"] or "").strip()
    return data


@transaction.atomic
def representative_create(*, actor: Actor, party: Party, name: str, **fields: Any) -> Representative:
    """Add a person acting for a party. ``fields``: any of REPRESENTATIVE_FIELDS but name."""
    _ensure_party_writer(actor, party.organisation_id)
    data = _representative_data({"name": name, **fields}, strict=True)
    rep = Representative(party=party, **data)
    full_clean_or_raise(rep)
    rep.save()
    audit_record(actor=actor, action="parties.representative.created", target=rep, organisation=actor.organisation,
                 after={"name": rep.name, "party": party.pk, "time_zone": rep.time_zone, "authority": rep.authority,
                        "languages": rep.languages})
    return rep


@transaction.atomic
def representative_update(*, actor: Actor, representative: Representative, data: dict) -> Representative:
    _ensure_party_writer(actor, representative.party.organisation_id)
    data = _representative_data(data, strict=False)
    rep, before, after = model_update_or_raise(instance=representative, fields=REPRESENTATIVE_FIELDS, data=data)
    if before:
        audit_record(actor=actor, action="parties.representative.updated", target=rep,
                     organisation=actor.organisation, before=before, after=after)
    return rep
