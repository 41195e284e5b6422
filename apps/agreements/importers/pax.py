"""PA-X Peace Agreements Database (v10 and later versions with the same columns).

One row is one agreement (``AgtId``) in a peace process (``PP``, the dispute). Parties
(``Part``) and third parties (``ThrdPart``) are free text with names, titles and line
breaks: text.pax_party_names reads what it safely can, and the text is kept verbatim.
Provision codes are 0/1 or 0–3 (depth); mapping.PAX_PROVISIONS says which are imported.
"""

from __future__ import annotations

import re

from apps.agreements.importers import text as t
from apps.agreements.importers.mapping import PAX_PROVISIONS, PAX_STAGES, PAX_UNILATERAL_STATUS
from apps.agreements.importers.records import ImportedAgreement, ImportedDispute, ImportedProvision, RowError
from apps.agreements.models import AgreementStatus, AgreementType
from apps.disputes.models import DisputeType
from apps.parties.models import Party

SOURCE = "pax"
REQUIRED = ("PP", "PPName", "AgtId", "Agt", "Dat", "Stage", "Part", "ThrdPart")
_CONFLICT_TYPES = {
    "government": [DisputeType.GOVERNANCE],
    "territory": [DisputeType.TERRITORIAL],
    "government/territory": [DisputeType.GOVERNANCE, DisputeType.TERRITORIAL],
    "inter-group": [DisputeType.IDENTITY],
}
# PA-X gives a bilingual title as "English title" + "Spanish: título" (often with no space).
_SECOND_LANGUAGE = re.compile(r"(Spanish|French|Arabic|Portuguese|Russian|Indonesian|Nepali|Burmese|Dutch|Serbian|"
                              r"Croatian|Bosnian|Georgian|Somali|Swahili|Turkish|Thai|Tagalog|Filipino)\s*:\s*")
_LANGUAGE_CODES = {"spanish": "es", "french": "fr", "arabic": "ar", "portuguese": "pt", "russian": "ru",
                   "indonesian": "id", "nepali": "ne", "burmese": "my", "dutch": "nl", "serbian": "sr",
                   "croatian": "hr", "bosnian": "bs", "georgian": "ka", "somali": "so", "swahili": "sw",
                   "turkish": "tr", "thai": "th", "tagalog": "tl", "filipino": "tl"}


def _level(row: dict[str, str], column: str) -> int:
    value = (row.get(column) or "").strip()
    if value == "":
        return 0
    if value.isdecimal() and int(value) <= 3:
        return int(value)
    raise RowError(f"{column}: “{value}” is not a code between 0 and 3")


def _title(raw: str) -> tuple[str, list[str], str]:
    """English title, languages, and the other-language title when the row carries one."""
    raw = t.squash(raw)
    match = _SECOND_LANGUAGE.search(raw)
    if not match or match.start() == 0:
        return raw, ["en"], ""
    return raw[: match.start()].strip(), ["en", _LANGUAGE_CODES[match[1].casefold()]], raw[match.end():].strip()


def parse_row(row: dict[str, str], *, line: int) -> ImportedAgreement:
    agt_id = (row.get("AgtId") or "").strip()
    if not agt_id.isdecimal():
        raise RowError(f"AgtId: “{agt_id}” is not an agreement number")
    process = (row.get("PP") or "").strip()
    if not process:
        raise RowError("PP (peace process) is empty")
    process_name = t.squash(row.get("PPName", ""))
    if not process_name:
        raise RowError("PPName is empty")
    title, languages, other_title = _title(row.get("Agt", ""))
    if not title:
        raise RowError("Agt (agreement name) is empty")
    if len(title) > 500:
        raise RowError("Agt is longer than 500 characters")
    signed_on, precision = t.parse_date(row.get("Dat", ""), column="Dat")
    stage = (row.get("Stage") or "").strip()
    if not stage:
        raise RowError("Stage is empty")
    status_text = t.squash(row.get("Status", "")).casefold()
    agreement_type = (
        AgreementType.UNILATERAL if status_text == PAX_UNILATERAL_STATUS
        else PAX_STAGES.get(stage, AgreementType.FRAMEWORK)
    )
    countries = list(dict.fromkeys(
        c for c in (t.alpha3_to_alpha2(row.get("Loc1ISO", "")), t.alpha3_to_alpha2(row.get("Loc2ISO", ""))) if c
    ))
    hint = countries[0] if countries else ""

    conflict_parties, witnesses = [], []
    for name in t.pax_party_names(row.get("Part", "")):
        party = t.classify(name, default_kind=Party.Kind.COMMUNITY, country_hint=hint,
                           acronym_kind=Party.Kind.NON_STATE_ARMED_GROUP)
        if len(party.name) > 120:
            continue
        # "For the United Nations:" under the parties' signatures: a witness, not a side.
        (witnesses if t.is_international_body(party) else conflict_parties).append(party)
    third_names = t.pax_party_names(row.get("ThrdPart", "")) or t.scan_known_names(row.get("ThrdPart", ""))
    third = [t.classify(n, default_kind=Party.Kind.CIVIL_SOCIETY, country_hint=hint,
                        acronym_kind=Party.Kind.INTERNATIONAL_ORGANISATION) for n in third_names]
    third = [p for p in third if len(p.name) <= 120]

    provisions = []
    for code, (category, label) in PAX_PROVISIONS.items():
        if code not in row:
            continue
        level = _level(row, code)
        if level:
            provisions.append(ImportedProvision(
                source_code=f"pax:{code}", category=category, label=code,
                text=label if level == 1 else f"{label} (PA-X depth {level} of 3)",
            ))
    cross = (row.get("UcdpAgr") or "").strip()
    summary_bits = []
    if other_title:
        summary_bits.append(f"Title in the other language: {other_title}")
    summary_bits.append(f"PA-X agreement {agt_id}, peace process {process} ({process_name}); "
                        f"status in PA-X: {t.squash(row.get('Status', '')) or 'not given'}.")
    return ImportedAgreement(
        line=line,
        source=SOURCE,
        external_id=agt_id,
        dispute=ImportedDispute(
            key=process,
            title=process_name,
            countries=countries,
            dispute_types=_CONFLICT_TYPES.get(t.squash(row.get("Contp", "")).casefold(), []),
            summary=f"PA-X peace process {process} ({t.squash(row.get('Con', ''))}), imported from the PA-X "
            "Peace Agreements Database.",
        ),
        title=title,
        type=agreement_type,
        status=AgreementStatus.SIGNED,
        signed_on=signed_on,
        signed_on_precision=precision,
        summary="\n\n".join(summary_bits),
        languages=languages,
        signatories_text=(row.get("Part") or "").strip(),
        third_parties_text=(row.get("ThrdPart") or "").strip(),
        cross_ucdp_paid=cross if cross.isdecimal() else "",
        conflict_parties=conflict_parties,
        witnesses=witnesses,
        third_parties=third,
        provisions=provisions,
    )
