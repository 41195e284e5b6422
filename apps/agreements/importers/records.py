"""What a dataset row says, parsed and checked, before anything touches the database.

Parsers (ucdp.py, pax.py) turn a CSV row into an ``ImportedAgreement`` or raise ``RowError``;
the writer (writer.py) turns records into rows through the services. Keeping the two apart
is what makes "never half a row" cheap: a row is fully validated before its first write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class RowError(Exception):
    """A malformed row: reported with its file line and skipped; the import goes on."""


@dataclass(frozen=True)
class ImportedParty:
    name: str
    kind: str
    country: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedProvision:
    source_code: str  # "ucdp:cease", "pax:Ce": the key within the agreement
    category: str
    label: str
    text: str


@dataclass
class ImportedDispute:
    key: str  # UCDP conflict id / PA-X peace process id
    title: str
    countries: list[str] = field(default_factory=list)
    dispute_types: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass
class ImportedAgreement:
    line: int
    source: str  # "ucdp" or "pax"
    external_id: str
    dispute: ImportedDispute
    title: str
    type: str
    status: str
    signed_on: dt.date
    signed_on_precision: str
    ended: bool = False
    ended_on: dt.date | None = None
    summary: str = ""
    place: str = ""
    languages: list[str] = field(default_factory=list)
    source_url: str = ""
    signatories_text: str = ""
    third_parties_text: str = ""
    cross_ucdp_paid: str = ""  # PA-X's UcdpAgr: the same agreement in the UCDP dataset
    conflict_parties: list[ImportedParty] = field(default_factory=list)  # sign; conflict parties of the dispute
    witnesses: list[ImportedParty] = field(default_factory=list)  # sign as witnesses; third parties
    third_parties: list[ImportedParty] = field(default_factory=list)  # mediators, facilitators
    provisions: list[ImportedProvision] = field(default_factory=list)
