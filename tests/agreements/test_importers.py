"""The UCDP and PA-X importers on the real files in ../shared/data/ (never copied into the repository)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from apps.accounts.models import Membership
from apps.agreements.importers import text
from apps.agreements.importers.runner import FileError, import_file
from apps.agreements.models import Agreement, AgreementStatus, AgreementType, Provision, Signatory
from apps.common.models import AuditEvent
from apps.disputes.models import CaseParty, Dispute
from apps.parties.models import Party
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR).resolve().parent / "shared" / "data"
UCDP = "ucdp-peace-agreements-v22.1.csv"
PAX = "pax-v10-comprehensive-agreements.csv"


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI needs the shared datasets in ../shared/data/")
        pytest.skip(f"{path} is not here: the shared datasets are read from ../shared/data/ next to the project")
    return path


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader)]
        return [dict(zip(header, row, strict=False)) for row in reader if any(c.strip() for c in row)]


@pytest.fixture
def lead(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user


def run(org, lead, path, source, **kwargs):
    return import_file(path=path, source=source, organisation=org, lead=lead, **kwargs)


def table_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count()
            for m in (Agreement, Provision, Signatory, Dispute, Party, CaseParty, AuditEvent)}


# --- UCDP --------------------------------------------------------------------------------------


def test_ucdp_imports_every_agreement_and_a_second_run_changes_nothing(org, lead, other_org):
    path = data_file(UCDP)
    rows = rows_of(path)
    report = run(org, lead, path, "ucdp")
    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.failed) == (len(rows), len(rows), 0, 0)
    assert report.seconds < 30, f"the UCDP import took {report.seconds:.1f} s"
    assert Agreement.objects.filter(organisation=org, import_source="ucdp").count() == len(rows)
    assert set(Agreement.objects.values_list("ucdp_paid", flat=True)) == {r["paid"] for r in rows}
    conflicts = {r["conflict_id"].split(",")[0].strip() for r in rows}
    assert set(Dispute.objects.filter(organisation=org).values_list("ucdp_conflict_id", flat=True)) == conflicts
    assert report.disputes_created == len(conflicts)
    assert not Agreement.objects.exclude(organisation=org).exists()
    assert not Party.objects.filter(organisation=other_org).exists()
    # Provisions come from the 0/1 flags and only from mapped columns.
    assert Provision.objects.filter(agreement__organisation=org).count() == sum(
        1 for r in rows for code in text_mapping_ucdp() if r.get(code, "").strip() == "1"
    )
    # De-duplicated by name and alias: one party per actor, whichever row names it.
    assert Party.objects.filter(organisation=org, name="Government of Afghanistan").count() == 1
    un = Party.objects.get(organisation=org, name="United Nations")
    assert "UN" in un.aliases and un.kind == Party.Kind.INTERNATIONAL_ORGANISATION

    before = table_counts()
    again = run(org, lead, path, "ucdp")
    assert (again.created, again.updated, again.skipped, again.failed) == (0, 0, len(rows), 0)
    assert (again.disputes_created, again.parties_created) == (0, 0)
    assert table_counts() == before


def text_mapping_ucdp():
    from apps.agreements.importers.mapping import UCDP_PROVISIONS

    return UCDP_PROVISIONS


def test_known_ucdp_agreements_field_by_field(org, lead):
    run(org, lead, data_file(UCDP), "ucdp")
    peshawar = Agreement.objects.get(organisation=org, ucdp_paid="1565")
    assert peshawar.title == "Peshawar Accord"
    assert (peshawar.type, peshawar.status) == (AgreementType.FRAMEWORK, AgreementStatus.SIGNED)
    assert (peshawar.signed_on, peshawar.signed_on_precision) == (dt.date(1992, 4, 24), "day")
    assert peshawar.place == "Peshawar, Pakistan"
    assert peshawar.summary.startswith("Partial peace agreement")
    assert peshawar.signatories_text.startswith("No signatures, but agreement mentions")
    assert sorted(peshawar.provisions.values_list("source_code", "category")) == [
        ("ucdp:interim", "power_sharing"), ("ucdp:intgov", "power_sharing"),
    ]
    signers = {s.party.name for s in peshawar.signatories.filter(role="signatory")}
    assert signers == {
        "Government of Afghanistan", "Mahaz-i Milli-yi Islami-yi Afghanistan", "Hizb-i Islami-yi Afghanistan",
        "Hizb-i Islami-yi Afghanistan - Khalis faction", "Harakat-i Inqilab-i Islami-yi Afghanistan",
        "Ittihad-i Islami Bara-yi Azadi-yi Afghanistan", "Hizb-i Wahdat",
    }
    dispute = peshawar.dispute
    assert (dispute.title, dispute.ucdp_conflict_id, dispute.countries) == ("Afghanistan: Government", "333", ["AF"])
    assert dispute.dispute_types == ["governance"]
    assert CaseParty.objects.get(dispute=dispute, party__name="Hizb-i Wahdat").role == CaseParty.Role.CONFLICT_PARTY

    islamabad = Agreement.objects.get(organisation=org, ucdp_paid="1128")
    assert (islamabad.status, islamabad.ended_on) == (AgreementStatus.TERMINATED, dt.date(1993, 5, 12))
    assert sorted(islamabad.provisions.values_list("source_code", flat=True)) == [
        "ucdp:cease", "ucdp:elections", "ucdp:intarmy", "ucdp:interim", "ucdp:pris", "ucdp:return",
    ]
    # pa_3rd is a sentence here ("The accord was brokered by Pakistan. Saudi Arabia and Iran…").
    assert {p.name for p in islamabad.third_parties.all()} == {"Pakistan", "Saudi Arabia", "Iran"}
    assert islamabad.source_url == "http://ucdpged.uu.se/peaceagreements/fulltext/Afg%2019930307.pdf"

    # The comma inside "Military Junta for the Consolidation of Democracy, Peace and Justice" is not a split.
    junta_name = "Military Junta for the Consolidation of Democracy, Peace and Justice"
    junta = Party.objects.get(organisation=org, name=junta_name)
    assert not Party.objects.filter(organisation=org, name="Peace and Justice").exists()
    assert Signatory.objects.filter(party=junta, agreement__ucdp_paid="1019").exists()

    # Actors outside the dyads sign as witnesses and are third parties of the dispute.
    bosnia = Agreement.objects.get(organisation=org, ucdp_paid="1570")
    assert {s.party.name for s in bosnia.signatories.filter(role="witness")} >= {"United Nations", "European Union"}


def test_a_conflict_whose_agreements_all_ended_is_closed_and_the_others_are_in_implementation(org, lead):
    rows = rows_of(data_file(UCDP))
    run(org, lead, data_file(UCDP), "ucdp")
    by_conflict: dict[str, list[bool]] = {}
    for r in rows:
        by_conflict.setdefault(r["conflict_id"].split(",")[0].strip(), []).append(r["ended"].strip() == "True")
    for dispute in Dispute.objects.filter(organisation=org):
        ended = all(by_conflict[dispute.ucdp_conflict_id])
        assert dispute.stage == ("closed" if ended else "implementation"), dispute.ucdp_conflict_id
        if ended:
            assert dispute.closure_reason == "overtaken_by_events" and dispute.closed_on >= dispute.opened_on
    assert Dispute.objects.filter(organisation=org, stage="closed").exists()


# --- PA-X --------------------------------------------------------------------------------------


def test_pax_imports_every_agreement_and_a_second_run_changes_nothing(org, lead):
    path = data_file(PAX)
    rows = rows_of(path)
    report = run(org, lead, path, "pax")
    assert report.errors == []
    assert (report.created, report.failed) == (len(rows), 0)
    assert set(Agreement.objects.values_list("pax_agt_id", flat=True)) == {r["AgtId"] for r in rows}
    processes = {r["PP"] for r in rows}
    assert set(Dispute.objects.values_list("pax_process_id", flat=True)) == processes
    assert Dispute.objects.filter(stage="implementation").count() == len(processes)
    before = table_counts()
    again = run(org, lead, path, "pax")
    assert (again.created, again.updated, again.skipped) == (0, 0, len(rows))
    assert table_counts() == before


def test_known_pax_agreements_field_by_field(org, lead):
    run(org, lead, data_file(PAX), "pax")
    guatemala = Agreement.objects.get(organisation=org, pax_agt_id="254")
    assert guatemala.title == "Agreement on a Firm and Lasting Peace"
    assert (guatemala.type, guatemala.status, guatemala.signed_on) == (
        AgreementType.COMPREHENSIVE, AgreementStatus.SIGNED, dt.date(1996, 12, 29))
    assert guatemala.ucdp_paid == "1081"  # PA-X's cross-reference to UCDP
    assert {(s.party.name, s.role) for s in guatemala.signatories.all()} == {
        ("Government of Guatemala", "signatory"),
        ("Unidad Revolucionaria Nacional Guatemalteca", "signatory"),
        ("United Nations", "witness"),
    }
    assert guatemala.dispute.title == "Guatemala peace process"
    assert guatemala.dispute.countries == ["GT"]
    assert guatemala.signatories_text.startswith("For the Government of Guatemala:")

    # A bilingual title: the English part is the title, the other is kept in the summary.
    colombia = Agreement.objects.get(organisation=org, pax_agt_id="168")
    assert colombia.title.startswith("Political Agreement between the National Government, the Political Parties")
    assert not colombia.title.endswith("Proceso")
    assert colombia.languages == ["en", "es"]
    assert "Acuerdo Político entre el Gobierno Nacional" in colombia.summary
    # "Por el Gobierno Nacional" is the government of the country the agreement is about.
    assert Party.objects.filter(organisation=org, name="Government of Colombia").count() == 1

    unilateral = Agreement.objects.filter(organisation=org, type=AgreementType.UNILATERAL)
    assert unilateral.count() == 1

    eritrea = Agreement.objects.get(organisation=org, pax_agt_id="2100")
    assert {s.party.name for s in eritrea.signatories.all()} == {"Eritrea", "Somalia"}
    assert set(Party.objects.get(organisation=org, name="Eritrea").aliases) == {"State of Eritrea"}


def test_pax_after_ucdp_links_the_same_agreements_instead_of_doubling_them(org, lead):
    ucdp_rows, pax_rows = rows_of(data_file(UCDP)), rows_of(data_file(PAX))
    run(org, lead, data_file(UCDP), "ucdp")
    report = run(org, lead, data_file(PAX), "pax")
    paids = {r["paid"] for r in ucdp_rows}
    linked: set[str] = set()
    for r in pax_rows:
        ref = r["UcdpAgr"].strip()
        if ref in paids and ref not in linked:
            linked.add(ref)
    assert report.updated == len(linked)
    assert report.created == len(pax_rows) - len(linked)
    guatemala = Agreement.objects.get(organisation=org, pax_agt_id="254")
    assert (guatemala.ucdp_paid, guatemala.import_source) == ("1081", "ucdp")
    assert Agreement.objects.filter(organisation=org).count() == len(ucdp_rows) + len(pax_rows) - len(linked)
    # Neither dataset overwrites the other: both second runs change nothing.
    before = table_counts()
    assert run(org, lead, data_file(PAX), "pax").skipped == len(pax_rows)
    assert run(org, lead, data_file(UCDP), "ucdp").skipped == len(ucdp_rows)
    assert table_counts() == before


# --- bad input ---------------------------------------------------------------------------------


def _rewrite(source: Path, target: Path, edit) -> None:
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows = edit(rows)
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_a_corrupted_copy_reports_each_bad_row_with_its_line_and_imports_the_rest(org, lead, tmp_path):
    source = data_file(UCDP)
    target = tmp_path / "ucdp-corrupted.csv"
    bad_paids: list[str] = []

    def corrupt(rows):
        col = {name.strip(): i for i, name in enumerate(rows[0]) if name.strip()}
        rows = rows[:31]
        rows[3][col["pa_date"]] = "1993-13-45"
        rows[5][col["paid"]] = "abc"
        rows[9][col["cease"]] = "7"
        rows[11][col["pa_name"]] = "  "
        rows[13][col["pa_type"]] = "9"
        bad_paids.extend(rows[i][col["paid"]] for i in (3, 9, 11, 13))
        rows[7] = rows[7][:10]  # a row cut short
        bad_paids.append(rows[7][col["paid"]])
        return rows

    _rewrite(source, target, corrupt)
    with target.open("a", encoding="utf-8") as handle:
        handle.write('9999,3,"an unterminated quote\n')
    report = run(org, lead, target, "ucdp")
    reasons = dict(report.errors)
    lines = _record_lines(target)
    assert reasons[lines[3]] == "pa_date: “1993-13-45” is not a valid date (month must be in 1..12)"
    assert reasons[lines[5]] == "paid: “abc” is not an agreement number"
    assert reasons[lines[7]] == "expected 68 fields, found 10"
    assert reasons[lines[9]] == "cease: “7” is not 0 or 1"
    assert reasons[lines[11]] == "pa_name is empty"
    assert reasons[lines[13]] == "pa_type: “9” is not 1, 2 or 3"
    assert reasons[lines[31]].startswith("expected 68 fields")
    assert report.failed == 7
    assert report.created == 30 - 6
    assert not Agreement.objects.filter(ucdp_paid__in=bad_paids).exists()


def _record_lines(path: Path) -> dict[int, int]:
    """Record index (0 = header) → its first line in the file, counted independently of the importer."""
    lines = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        index = 0
        start = 1
        try:
            for _row in reader:
                lines[index] = start
                index += 1
                start = reader.line_num + 1
        except csv.Error:
            pass
    lines.setdefault(index, start)
    return lines


def test_a_row_that_fails_while_writing_leaves_nothing_behind(org, lead, tmp_path, monkeypatch):
    """Never half a row: the agreement, its new dispute, parties and case parties go with the savepoint."""
    target = tmp_path / "two.csv"
    _rewrite(data_file(UCDP), target, lambda rows: rows[:3])  # Peshawar (1565), Islamabad (1128)
    real = Signatory.objects.bulk_create

    def explode(objs, *args, **kwargs):
        if objs and objs[0].agreement.ucdp_paid == "1565":
            raise IntegrityError("simulated failure while writing the signatories")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(Signatory.objects, "bulk_create", explode)
    report = run(org, lead, target, "ucdp")
    assert report.errors == [(2, "ucdp_paid 1565: simulated failure while writing the signatories")]
    assert report.created == 1
    assert not Agreement.objects.filter(ucdp_paid="1565").exists()
    # Parties only Peshawar names were rolled back with it; the shared conflict's dispute came with Islamabad.
    assert not Party.objects.filter(name="Mahaz-i Milli-yi Islami-yi Afghanistan").exists()
    assert Dispute.objects.filter(ucdp_conflict_id="333").count() == 1
    assert report.parties_created == Party.objects.filter(organisation=org).count()
    monkeypatch.undo()
    again = run(org, lead, target, "ucdp")
    assert (again.created, again.skipped, again.failed) == (1, 1, 0)


def test_a_failed_first_row_of_a_conflict_takes_its_new_dispute_with_it(org, lead, tmp_path, monkeypatch):
    target = tmp_path / "one.csv"
    _rewrite(data_file(UCDP), target, lambda rows: rows[:2])
    monkeypatch.setattr(Provision.objects, "bulk_create", lambda *a, **k: (_ for _ in ()).throw(IntegrityError("x")))
    before = table_counts()
    report = run(org, lead, target, "ucdp")
    assert (report.failed, report.disputes_created, report.parties_created) == (1, 0, 0)
    assert table_counts() == before


def test_dry_run_reports_the_same_and_saves_nothing(org, lead):
    before = table_counts()
    report = run(org, lead, data_file(PAX), "pax", dry_run=True)
    assert report.dry_run and report.created == len(rows_of(data_file(PAX)))
    assert table_counts() == before


def test_the_wrong_format_or_an_unreadable_file_is_refused_as_a_whole(org, lead, tmp_path):
    with pytest.raises(FileError, match="AgtId"):
        run(org, lead, data_file(UCDP), "pax")
    with pytest.raises(FileError, match="empty"):
        (tmp_path / "empty.csv").write_text("")
        run(org, lead, tmp_path / "empty.csv", "ucdp")
    with pytest.raises(FileError):
        run(org, lead, tmp_path / "missing.csv", "ucdp")
    (tmp_path / "latin1.csv").write_bytes(
        b"paid,conflict_id,conflict_name,actor_name,pa_name,pa_date,pa_type\n1,2,C\xe9te,A,B,2000-01-01,1\n"
    )
    with pytest.raises(FileError, match="UTF-8"):
        run(org, lead, tmp_path / "latin1.csv", "ucdp")
    assert not Agreement.objects.exists()


def test_another_version_with_the_columns_moved_and_partial_dates_imports_the_same(org, lead, tmp_path):
    """Columns are found by name: reordered, extra or missing flag columns, and partial dates all work."""
    target = tmp_path / "ucdp-v23.csv"

    def reshape(rows):
        header = [h.strip() for h in rows[0]]
        keep = [i for i, h in enumerate(header) if h and h not in ("gender", "co_impl")]
        keep = list(reversed(keep))  # every column in another position
        out = [[rows[0][i] for i in keep] + ["new_column"]]
        for row in rows[1:6]:
            out.append([row[i] for i in keep] + ["x"])
        date = [rows[0][i].strip() for i in keep].index("pa_date")
        out[1][date] = "1992-04"
        out[2][date] = "1993"
        return out

    _rewrite(data_file(UCDP), target, reshape)
    report = run(org, lead, target, "ucdp")
    assert (report.created, report.failed) == (5, 0)
    first = Agreement.objects.get(ucdp_paid="1565")
    assert (first.signed_on, first.signed_on_precision) == (dt.date(1992, 4, 1), "month")
    assert Agreement.objects.get(ucdp_paid="1128").signed_on_precision == "year"
    assert not Provision.objects.filter(source_code__in=["ucdp:gender", "ucdp:co_impl"]).exists()


# --- the command -------------------------------------------------------------------------------


def test_the_command_prints_the_report_and_the_bad_lines(org, lead, tmp_path):
    target = tmp_path / "few.csv"

    def few(rows):
        rows = rows[:4]
        rows[2][0] = "x"
        return rows

    _rewrite(data_file(UCDP), target, few)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_peace_agreements", str(target), "--format", "ucdp", "--organisation", org.slug,
                 stdout=out, stderr=err)
    assert "agreements created 2, updated 0, skipped (unchanged) 0, failed 1" in out.getvalue()
    assert "paid: “x” is not an agreement number" in err.getvalue()
    assert Dispute.objects.get(ucdp_conflict_id="333").team.get().user == lead
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_peace_agreements", str(target), "--format", "ucdp", "--organisation", "nobody")
    with pytest.raises(CommandError, match="not an admin"):
        call_command("import_peace_agreements", str(target), "--format", "ucdp", "--organisation", org.slug,
                     "--lead", "someone@else.example")


# --- reading free text -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("1992-04-24", (dt.date(1992, 4, 24), "day")),
    ("1992-04", (dt.date(1992, 4, 1), "month")),
    ("1992-04-00", (dt.date(1992, 4, 1), "month")),
    ("1992", (dt.date(1992, 1, 1), "year")),
    ("1992-00-00", (dt.date(1992, 1, 1), "year")),
])
def test_dates_full_and_partial(value, expected):
    assert text.parse_date(value, column="pa_date") == expected


@pytest.mark.parametrize("value", ["", "24/04/1992", "1992-02-30", "soon"])
def test_bad_dates(value):
    with pytest.raises(text.RowError):
        text.parse_date(value, column="pa_date")


def test_name_lists_split_outside_parentheses_and_rejoin_by_reference():
    names = text.split_top_level("Government of Philippines, Military faction (forces of Honasan, Abenina & Zumel)")
    assert names == ["Government of Philippines", "Military faction (forces of Honasan, Abenina & Zumel)"]
    split = text.split_top_level("Government of Niger, Military Junta for Democracy, Peace and Justice")
    assert text.merge_by_reference(split, expected=2, reference="Government of Niger - Military Junta for "
                                   "Democracy, Peace and Justice") == [
        "Government of Niger", "Military Junta for Democracy, Peace and Justice"]


def test_parties_get_canonical_names_and_aliases():
    un = text.classify("the UN", default_kind="ngo")
    assert (un.name, un.kind) == ("United Nations", "international_organisation")
    gov = text.classify("the Government of the Republic of Rwanda", default_kind="ngo")
    assert (gov.name, gov.country, gov.aliases) == ("Government of Rwanda", "RW",
                                                     ("Government of the Republic of Rwanda",))
    assert text.classify("Government", default_kind="ngo", country_hint="CO").name == "Government of Colombia"
    assert text.classify("USA", default_kind="ngo").name == "United States of America"
    mrc = text.classify("Mouvement Révolutionnaire Congolais (MRC)", default_kind="community")
    assert (mrc.name, mrc.aliases, mrc.kind) == ("Mouvement Révolutionnaire Congolais", ("MRC",),
                                                 "non_state_armed_group")


def test_third_parties_from_lists_and_from_sentences():
    assert text.third_party_names("Mexico, UN") == ["Mexico", "UN"]
    assert text.third_party_names("ECOWAS and OAU") == ["ECOWAS", "OAU"]
    assert text.third_party_names("The accord was brokered by Pakistan. Saudi Arabia and Iran were joint "
                                  "sponsors and guarantors of the agreement.") == ["Pakistan", "Saudi Arabia", "Iran"]
    assert text.third_party_names("Thabo Mbeki") == []


def test_pax_party_headings_in_several_languages():
    part = ("Pour le Gouvernement de la République Démocratique du Congo\nM. Alexandre Mwarabu\n"
            "Pour le Mouvement Révolutionnaire Congolais (MRC)\nColonel Mathieu Ngudjolo\n")
    assert text.pax_party_names(part) == ["Gouvernement de la République Démocratique du Congo",
                                          "Mouvement Révolutionnaire Congolais (MRC)"]
    assert text.pax_party_names("For the State of Eritrea President Isaias Afwerki;\n"
                                "For the Federal Republic of Somalia, President Mohamed Abdullahi Mohamed") == [
        "State of Eritrea", "Federal Republic of Somalia"]
    # People and their titles are not parties.
    assert text.pax_party_names("VIRGILIO BARCO\n\nPresident of the Republic\n\nRAFAEL PARDO RUEDA") == []
