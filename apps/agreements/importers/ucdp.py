"""UCDP Peace Agreement Dataset (v22.1 and later versions with the same columns).

One row is one agreement (``paid``). ``conflict_id`` names the conflict (the dispute);
``actor_name`` the actors of the agreement, of whom those in ``dyad_name`` are the conflict
parties and the others (the UN, ECOWAS, …) sign as witnesses; ``pa_3rd`` the third parties;
``pa_type`` the type; 0/1 columns the provisions (mapping.UCDP_PROVISIONS).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from apps.agreements.importers import text as t
from apps.agreements.importers.mapping import UCDP_PROVISIONS, UCDP_TYPES
from apps.agreements.importers.records import ImportedAgreement, ImportedDispute, ImportedProvision, RowError
from apps.agreements.models import AgreementStatus
from apps.disputes.models import DisputeType
from apps.parties.models import Party

SOURCE = "ucdp"
REQUIRED = ("paid", "conflict_id", "conflict_name", "actor_name", "pa_name", "pa_date", "pa_type")
_INCOMPATIBILITY = {"1": [DisputeType.TERRITORIAL], "2": [DisputeType.GOVERNANCE],
                    "3": [DisputeType.TERRITORIAL, DisputeType.GOVERNANCE]}
_PLACE = re.compile(r"\bsigned\s+(?:in|at)\s+([A-Z][\w'’.-]+(?:[ -][A-Z][\w'’.-]+)*(?:,\s*[A-Z][\w'’.-]+"
                    r"(?:[ -][A-Z][\w'’.-]+)*)?)")
_url = URLValidator(schemes=["http", "https"])


def _flag(row: dict[str, str], column: str) -> bool:
    value = (row.get(column) or "").strip()
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise RowError(f"{column}: “{value}” is not 0 or 1")


def _conflict(row: dict[str, str]) -> tuple[str, str]:
    """The agreement's conflict: the first of ``conflict_id`` (some agreements span several)."""
    ids = [s.strip() for s in row["conflict_id"].split(",") if s.strip()]
    if not ids or not all(i.isdecimal() for i in ids):
        raise RowError(f"conflict_id: “{row['conflict_id']}” is not a list of conflict numbers")
    names = t.split_top_level(row["conflict_name"])
    name = names[0] if len(names) == len(ids) else t.squash(row["conflict_name"])
    if not name:
        raise RowError("conflict_name is empty")
    return ids[0], name


def _countries(conflict_name: str, actors: list[str]) -> list[str]:
    location = conflict_name.split(":")[0]
    codes = [t.country_code(part) for part in re.split(r"\s+-\s+", location)]
    for actor in actors:
        match = re.match(r"^Government of (.+)$", actor)
        if match:
            codes.append(t.country_code(match[1]))
    return list(dict.fromkeys(c for c in codes if c))


def parse_row(row: dict[str, str], *, line: int) -> ImportedAgreement:
    paid = (row.get("paid") or "").strip()
    if not paid.isdecimal():
        raise RowError(f"paid: “{paid}” is not an agreement number")
    title = t.squash(row.get("pa_name", ""))
    if not title:
        raise RowError("pa_name is empty")
    if len(title) > 500:
        raise RowError("pa_name is longer than 500 characters")
    signed_on, precision = t.parse_date(row.get("pa_date", ""), column="pa_date")
    pa_type = (row.get("pa_type") or "").strip()
    if pa_type not in UCDP_TYPES:
        raise RowError(f"pa_type: “{pa_type}” is not 1, 2 or 3")
    conflict_id, conflict_name = _conflict(row)

    actor_ids = [s for s in (row.get("actor_id") or "").split(",") if s.strip()]
    actors = t.split_top_level(row.get("actor_name", ""))
    if actor_ids and len(actors) > len(actor_ids):
        actors = t.merge_by_reference(actors, expected=len(actor_ids), reference=row.get("dyad_name", ""))
    actors = t.dedupe(actors)
    if not actors:
        raise RowError("actor_name is empty")
    dyads = t.squash(row.get("dyad_name", "")).casefold()
    countries = _countries(conflict_name, actors)
    hint = countries[0] if countries else ""
    conflict_parties, witnesses = [], []
    for name in actors:
        party = t.classify(name, default_kind=Party.Kind.NON_STATE_ARMED_GROUP, country_hint=hint, keep_commas=True)
        # A conflict party is one side of a dyad; everyone else who signed is a witness.
        (conflict_parties if name.casefold() in dyads else witnesses).append(party)
    if not conflict_parties:
        conflict_parties, witnesses = witnesses, []
    third = [
        t.classify(n, default_kind=Party.Kind.CIVIL_SOCIETY, country_hint=hint,
                   acronym_kind=Party.Kind.INTERNATIONAL_ORGANISATION)
        for n in t.third_party_names(row.get("pa_3rd", ""))
    ]
    third = [p for p in third if len(p.name) <= 120]

    provisions = [
        ImportedProvision(source_code=f"ucdp:{code}", category=category, label=code, text=label)
        for code, (category, label) in UCDP_PROVISIONS.items()
        if code in row and _flag(row, code)
    ]
    ended = (row.get("ended") or "").strip().casefold() == "true"
    ended_on = t.parse_optional_date(row.get("duration", "")) if ended else None
    if ended_on is not None and ended_on < signed_on:
        ended_on = None  # an end before the signing is a data slip; the status still says it ended
    status = AgreementStatus.TERMINATED if ended else (
        AgreementStatus.IN_FORCE if (row.get("ended") or "").strip().casefold() == "false" else AgreementStatus.SIGNED
    )
    url = (row.get("linktofulltextagreement") or "").strip()
    try:
        _url(url)
    except ValidationError:
        url = ""
    place_match = _PLACE.search(row.get("c_sign", "") or "")
    incompat = (row.get("incompatibility") or "").replace(" ", "").split(",")
    types = list(dict.fromkeys(x for i in incompat for x in _INCOMPATIBILITY.get(i, [])))
    version = (row.get("version") or "").strip()
    return ImportedAgreement(
        line=line,
        source=SOURCE,
        external_id=paid,
        dispute=ImportedDispute(
            key=conflict_id,
            title=conflict_name,
            countries=countries,
            dispute_types=types,
            summary=f"UCDP conflict {conflict_id}, imported from the UCDP Peace Agreement Dataset"
            + (f" {version}" if version else "") + ".",
        ),
        title=title,
        type=UCDP_TYPES[pa_type],
        status=status,
        signed_on=signed_on,
        signed_on_precision=precision,
        ended=ended,
        ended_on=ended_on,
        summary=(row.get("pa_comment") or "").strip(),
        place=t.squash(place_match[1])[:200] if place_match else "",
        source_url=url[:500],
        signatories_text=(row.get("pa_sign") or "").strip(),
        third_parties_text=(row.get("pa_3rd") or "").strip(),
        conflict_parties=conflict_parties,
        witnesses=witnesses,
        third_parties=third,
        provisions=provisions,
    )
