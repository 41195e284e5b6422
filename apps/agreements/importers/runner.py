"""Import a UCDP or PA-X file into one organisation: parse every row, then write row by row.

* Idempotent: the datasets' ids are the keys (UCDP ``paid`` / PA-X ``AgtId`` for agreements,
  ``conflict_id`` / ``PP`` for disputes, normalised name or alias for parties). A second run
  changes nothing.
* Never half a row: a row is parsed and checked completely before its first write, and
  written inside its own savepoint; a failure rolls the savepoint back and is reported with
  the row's line in the file (the first line of a record that spans several).
* No hard-coded positions or counts: columns are found by their (trimmed) header, so
  another version of a dataset with the same columns imports the same way.
* Writes go through the services (audited, access-checked) as a system actor with the
  organisation's admin rights.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation, User
from apps.agreements.importers import pax, ucdp
from apps.agreements.importers.records import ImportedAgreement, RowError
from apps.agreements.models import Agreement
from apps.agreements.services import (
    EXTERNAL_ID_FIELD,
    DatasetIndex,
    ImportItem,
    ImportOutcome,
    _import_many,  # the batch form of agreement_import_upsert; private so the service walk sees one entry point
)
from apps.common.errors import ApplicationError
from apps.disputes.models import ClosureReason, Dispute, Stage
from apps.disputes.services import dispute_change_stage, dispute_open

FORMATS: dict[str, tuple[tuple[str, ...], Callable[..., ImportedAgreement]]] = {
    "ucdp": (ucdp.REQUIRED, ucdp.parse_row),
    "pax": (pax.REQUIRED, pax.parse_row),
}
DISPUTE_KEY_FIELD = {"ucdp": "ucdp_conflict_id", "pax": "pax_process_id"}
# Rows written per savepoint; a failing batch is retried row by row.
BATCH = 100


class FileError(Exception):
    """The file as a whole cannot be imported (not found, empty, not UTF-8, a column missing)."""


@dataclass
class ImportReport:
    source: str
    path: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0  # unchanged: the database already says what the row says
    failed: int = 0
    disputes_created: int = 0
    disputes_closed: int = 0
    parties_created: int = 0
    seconds: float = 0.0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error(self, line: int, reason: str) -> None:
        self.failed += 1
        self.errors.append((line, reason))

    def summary(self) -> str:
        return (
            f"{self.source.upper()} {self.path}: {self.rows} rows — agreements created {self.created}, "
            f"updated {self.updated}, skipped (unchanged) {self.skipped}, failed {self.failed}; "
            f"disputes created {self.disputes_created} (closed {self.disputes_closed}); "
            f"parties created {self.parties_created}; {self.seconds:.2f} s"
            + (" — DRY RUN, nothing was saved" if self.dry_run else "")
        )


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """(line, row) for every record; a record that cannot be read comes as (line, RowError)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise FileError(f"{path}: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise FileError(f"{path}: the file is empty") from None
        except UnicodeDecodeError as exc:
            raise FileError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise FileError(f"{path}: the header cannot be read ({exc})") from exc
        # UCDP's headers carry trailing spaces ("ref ", "return ") and the last one is empty.
        names = [h.strip() for h in header]
        columns = [(i, n) for i, n in enumerate(names) if n]
        missing = [c for c in required if c not in names]
        if missing:
            raise FileError(f"{path}: column(s) {', '.join(missing)} missing; is this the right --format?")
        next_line = reader.line_num + 1
        while True:
            line = next_line
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                next_line = reader.line_num + 1
                yield line, RowError(f"the record cannot be read as CSV ({exc})")
                continue
            except UnicodeDecodeError as exc:
                raise FileError(f"{path}: not UTF-8 after line {line - 1} ({exc.reason})") from exc
            next_line = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield line, RowError(f"expected {len(header)} fields, found {len(row)}")
                continue
            yield line, {name: row[i] for i, name in columns}


class Importer:
    def __init__(self, *, organisation: Organisation, source: str, lead: User, dry_run: bool = False) -> None:
        if source not in FORMATS:
            raise FileError(f"unknown format {source!r}")
        self.organisation = organisation
        self.source = source
        self.lead = lead
        self.dry_run = dry_run
        self.actor = Actor(organisation=organisation, role=Membership.Role.ADMIN, user=None)
        self.id_field = EXTERNAL_ID_FIELD[source]
        self.key_field = DISPUTE_KEY_FIELD[source]

    # --- the run ------------------------------------------------------------------------------

    def run(self, path: str | Path) -> ImportReport:
        path = Path(path)
        started = time.perf_counter()
        report = ImportReport(source=self.source, path=str(path), dry_run=self.dry_run)
        self.report = report
        required, parse = FORMATS[self.source]
        records: list[ImportedAgreement] = []
        for line, row in read_rows(path, required):
            report.rows += 1
            if isinstance(row, RowError):
                report.error(line, str(row))
                continue
            try:
                records.append(parse(row, line=line))
            except RowError as exc:
                report.error(line, str(exc))
        with transaction.atomic():
            self._load(records)
            for start in range(0, len(records), BATCH):
                self._write_batch(records[start : start + BATCH])
            self._close_finished()
            if self.dry_run:
                transaction.set_rollback(True)
        report.errors.sort()
        report.seconds = time.perf_counter() - started
        return report

    def _load(self, records: list[ImportedAgreement]) -> None:
        org = self.organisation
        self.groups: dict[str, list[ImportedAgreement]] = {}
        for record in records:
            self.groups.setdefault(record.dispute.key, []).append(record)
        self.disputes: dict[str, Dispute] = {}
        keyed = Dispute.objects.filter(organisation=org, **{f"{self.key_field}__in": list(self.groups)})
        for dispute in keyed.order_by("id"):
            self.disputes.setdefault(getattr(dispute, self.key_field), dispute)
        self.created_disputes: dict[str, Dispute] = {}
        ids = [r.external_id for r in records]
        cross = [r.cross_ucdp_paid for r in records if r.cross_ucdp_paid]
        agreements = (
            Agreement.objects.filter(organisation=org)
            .filter(Q(**{f"{self.id_field}__in": ids}) | Q(ucdp_paid__in=cross))
            .select_related("dispute", "organisation")
            .prefetch_related("signatories", "provisions", "third_parties")
        )
        self.agreements: dict[str, Agreement] = {}
        self.by_ucdp: dict[str, Agreement] = {}
        for agreement in agreements:
            if getattr(agreement, self.id_field):
                self.agreements[getattr(agreement, self.id_field)] = agreement
            if agreement.ucdp_paid:
                self.by_ucdp[agreement.ucdp_paid] = agreement
        self.index = DatasetIndex.load(org, self._known_dispute_ids())

    def _known_dispute_ids(self) -> set[int]:
        return (
            {d.pk for d in self.disputes.values()}
            | {a.dispute_id for a in self.agreements.values()}
            | {a.dispute_id for a in self.by_ucdp.values()}
        )

    # --- one row ------------------------------------------------------------------------------

    def _existing(self, record: ImportedAgreement, claimed: set[int]) -> Agreement | None:
        """The agreement this row updates: by its own id, else by the other dataset's id it cites.

        A cited agreement that another row of this dataset already claimed (PA-X cites some UCDP
        agreements twice) is not this row's: the row becomes its own agreement, without the citation.
        """
        found = self.agreements.get(record.external_id)
        if found is not None or not record.cross_ucdp_paid:
            return found
        found = self.by_ucdp.get(record.cross_ucdp_paid)
        if found is None:
            return None
        if getattr(found, self.id_field) not in ("", record.external_id) or found.pk in claimed:
            record.cross_ucdp_paid = ""
            return None
        claimed.add(found.pk)
        return found

    def _write_batch(self, records: list[ImportedAgreement]) -> None:
        """Write a batch in one savepoint; if anything in it fails, write its rows one by one to
        find and report the bad ones (each in its own savepoint, so no row is half-written)."""
        snapshot = self.index.snapshot()
        try:
            with transaction.atomic():
                results = self._write_rows(records)
        except (ApplicationError, ValidationError, DatabaseError):
            self._forget(snapshot)
            for record in records:
                self._write_one(record)
            return
        self._count(results)

    def _write_one(self, record: ImportedAgreement) -> None:
        snapshot = self.index.snapshot()
        try:
            with transaction.atomic():
                results = self._write_rows([record])
        except (ApplicationError, ValidationError, DatabaseError) as exc:
            self._forget(snapshot)
            reason = getattr(exc, "message", None) or (exc.messages[0] if isinstance(exc, ValidationError) else exc)
            self.report.error(record.line, f"{self.id_field} {record.external_id}: {str(reason).splitlines()[0]}")
            return
        self._count(results)

    def _write_rows(self, records: list[ImportedAgreement]) -> list[tuple[ImportedAgreement, ImportOutcome]]:
        """New disputes first (through the disputes services), then the agreements in one service call."""
        self._pending_disputes: list[str] = []
        items = []
        claimed: set[int] = set()
        cited: set[str] = set()
        for record in records:
            existing = self._existing(record, claimed)
            if existing is None and record.cross_ucdp_paid:
                # A new agreement keeps the citation only if no other agreement carries that id.
                if record.cross_ucdp_paid in cited:
                    record.cross_ucdp_paid = ""
                cited.add(record.cross_ucdp_paid)
            dispute = existing.dispute if existing is not None else self._dispute(record)
            items.append(ImportItem(record=record, dispute=dispute, existing=existing))
        outcomes = _import_many(actor=self.actor, items=items, index=self.index)
        return list(zip(records, outcomes, strict=True))

    def _count(self, results: list[tuple[ImportedAgreement, ImportOutcome]]) -> None:
        self.report.disputes_created += len(self._pending_disputes)
        for key in self._pending_disputes:
            self.created_disputes[key] = self.disputes[key]
        for record, result in results:
            agreement = result.agreement
            self.agreements[record.external_id] = agreement
            if agreement.ucdp_paid:
                self.by_ucdp[agreement.ucdp_paid] = agreement
            self.report.parties_created += result.parties_created
            if result.outcome == "created":
                self.report.created += 1
            elif result.outcome == "updated":
                self.report.updated += 1
            else:
                self.report.skipped += 1

    def _forget(self, snapshot) -> None:
        """After a rolled-back savepoint: forget the disputes, parties and case parties it undid."""
        for key in self._pending_disputes:
            self.disputes.pop(key, None)
        self._pending_disputes = []
        self.index.restore(snapshot)

    def _dispute(self, record: ImportedAgreement) -> Dispute:
        key = record.dispute.key
        found = self.disputes.get(key)
        if found is not None:
            return found
        group = self.groups[key]
        info = group[0].dispute
        dispute = dispute_open(
            actor=self.actor,
            title=info.title[:300],
            lead_mediator=self.lead,
            opened_on=min(r.signed_on for r in group),
            summary=info.summary,
            dispute_types=info.dispute_types,
            countries=info.countries,
            stage=Stage.IMPLEMENTATION,
            **{self.key_field: key},
        )
        self.disputes[key] = dispute
        self._pending_disputes.append(key)
        self.index.load_disputes([dispute.pk])
        return dispute

    # --- after the rows ---------------------------------------------------------------------------

    def _close_finished(self) -> None:
        """A conflict whose every agreement has ended (UCDP ``ended``) is closed; PA-X says nothing of ends."""
        for key, dispute in self.created_disputes.items():
            group = self.groups[key]
            if not all(r.ended for r in group):
                continue
            closed_on = max((r.ended_on or r.signed_on) for r in group)
            try:
                with transaction.atomic():
                    dispute_change_stage(
                        actor=self.actor, dispute=dispute, to_stage=Stage.CLOSED,
                        closure_reason=ClosureReason.OVERTAKEN, closed_on=max(closed_on, dispute.opened_on),
                        reason="Every agreement of this conflict has ended (UCDP Peace Agreement Dataset).",
                    )
            except ApplicationError as exc:
                self.report.error(group[0].line, f"conflict {key}: could not be closed: {exc.message}")
                continue
            self.report.disputes_closed += 1


def import_file(
    *, path: str | Path, source: str, organisation: Organisation, lead: User, dry_run: bool = False
) -> ImportReport:
    return Importer(organisation=organisation, source=source, lead=lead, dry_run=dry_run).run(path)
