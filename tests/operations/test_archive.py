"""export_dispute / import_dispute: what the member may see, restored exactly into another organisation."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.disputes.models import Dispute
from apps.operations.archive import FORMAT_VERSION, SECTIONS
from apps.parties.models import Party
from apps.sessions.models import SessionNote
from tests.factories import MembershipFactory, OrganisationFactory
from tests.operations.conftest import SHARED_NOTE_TEXT, TEAM_NOTE_TEXT

pytestmark = pytest.mark.django_db


def _export(tmp_path, org, email, name="a.json") -> dict[str, Any]:
    out = tmp_path / name
    call_command("export_dispute", "PC-2026-0042", "--organisation", org.slug, "--as", email, "--output", str(out),
                 stderr=StringIO())
    return json.loads(out.read_text(encoding="utf-8"))


def _fk_attnames(model: type[models.Model]) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields if f.is_relation} | {"id"}


# Keys that carry ids (or the organisation) rather than content; everything else must survive the trip.
_ID_LIKE = {"responsible_party_ids", "third_party_ids", "dispute_id", "target_id"}


def _normalise(data: Any, section: str = "") -> Any:
    if isinstance(data, list):
        return [_normalise(v, section) for v in data]
    if isinstance(data, dict):
        model = SECTIONS.get(section)
        drop = (_fk_attnames(model) if model else {"id"}) | _ID_LIKE | {"organisation_slug"}
        return {
            k: _normalise(v, f"{section}.{k}" if section else k)
            for k, v in data.items()
            if k not in drop
        }
    return data


def _comparable(archive: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in archive.items() if k in SECTIONS}
    # The restored dispute's updated_at is the import's moment: its parties, issues and team were added
    # to it (PostgreSQL touches it, disputes migration 0005), and the target organisation's
    # incremental syncs must see a dispute that is new to them (issue #15).
    body["dispute"] = {k: v for k, v in body["dispute"].items() if k != "updated_at"}
    body["audit_events"] = [e for e in body["audit_events"] if e["action"] != "operations.dispute.imported"]
    return _normalise(body)


def test_it_round_trips_a_dispute_with_data_in_every_table_into_an_empty_organisation(tmp_path, world, org):
    first = _export(tmp_path, org, world.lead.email)
    assert first["format_version"] == FORMAT_VERSION
    assert first["team_only_notes_included"] is True
    for section in SECTIONS:
        path = section.split(".")
        rows = [first[path[0]]] if isinstance(first[path[0]], dict) else first[path[0]]
        for key in path[1:]:
            rows = [x for r in rows for x in r[key]]
        assert rows, f"the fixture leaves {section} empty"

    target = OrganisationFactory(slug="gamma", name="Gamma")
    for user in (world.lead, world.officer):
        MembershipFactory(organisation=target, user=user, role=Membership.Role.MEDIATOR)
    call_command("import_dispute", str(tmp_path / "a.json"), "--organisation", "gamma", stdout=StringIO())

    restored = Dispute.objects.get(organisation=target)
    assert restored.reference == "PC-2026-0042"
    assert restored.created_at == world.dispute.created_at
    assert restored.updated_at > Dispute.objects.get(pk=world.dispute.pk).updated_at
    imported = AuditEvent.objects.filter(action="operations.dispute.imported")
    assert [(e.organisation_id, e.dispute_id) for e in imported] == [(target.pk, restored.pk)]

    second = _export(tmp_path, target, world.lead.email, "b.json")
    assert second["organisation"]["slug"] == "gamma"
    assert _comparable(second) == _comparable(first)
    # The source is untouched, and the copies are the target's own rows.
    assert Party.objects.filter(organisation=target).count() == 3
    assert SessionNote.objects.filter(dispute=restored, text=TEAM_NOTE_TEXT).count() == 1


def test_a_member_off_the_case_team_exports_no_team_only_note(tmp_path, world, org):
    archive = _export(tmp_path, org, world.admin.email)
    text = (tmp_path / "a.json").read_text(encoding="utf-8")

    assert archive["team_only_notes_included"] is False
    assert "NOT included" in archive["notice"]
    assert TEAM_NOTE_TEXT not in text
    assert "5 km" not in text  # nor any version of it
    assert [n["text"] for n in archive["notes"]] == [SHARED_NOTE_TEXT]
    assert archive["consents"] == []
    assert all(d["note_id"] is None for d in archive["disclosures"])


def test_exporting_team_notes_is_audited_as_a_read(tmp_path, world, org):
    before = AuditEvent.objects.filter(action="sessions.note.read_team").count()
    _export(tmp_path, org, world.lead.email)
    reads = AuditEvent.objects.filter(action="sessions.note.read_team").order_by("id")[before:]
    assert {(e.target_id, e.after["via"]) for e in reads} == {(str(world.team_note.pk), "export")}


def test_export_refuses_a_dispute_the_member_cannot_see_like_one_that_does_not_exist(tmp_path, world, org):
    world.dispute.confidentiality = "restricted"
    world.dispute.save(update_fields=["confidentiality"])
    analyst = MembershipFactory(organisation=org, role=Membership.Role.ANALYST).user
    with pytest.raises(CommandError, match="No dispute PC-2026-0042 visible") as hidden:
        call_command("export_dispute", "PC-2026-0042", "--organisation", org.slug, "--as", analyst.email)
    with pytest.raises(CommandError, match="No dispute PC-2026-9999 visible"):
        call_command("export_dispute", "PC-2026-9999", "--organisation", org.slug, "--as", analyst.email)
    assert "restricted" not in str(hidden.value)


def test_export_refuses_someone_who_is_not_a_member(tmp_path, world, other_org):
    outsider = MembershipFactory(organisation=other_org).user
    with pytest.raises(CommandError, match="not an active member"):
        call_command("export_dispute", "PC-2026-0042", "--organisation", "alpha", "--as", outsider.email)


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in set(SECTIONS.values())}


def test_import_refuses_an_organisation_that_has_the_reference_and_writes_nothing(tmp_path, world, org):
    _export(tmp_path, org, world.lead.email)
    before = _counts()
    with pytest.raises(CommandError, match="already has a dispute PC-2026-0042"):
        call_command("import_dispute", str(tmp_path / "a.json"), "--organisation", org.slug)
    assert _counts() == before


def test_import_refuses_and_lists_team_members_without_a_membership(tmp_path, world, org):
    _export(tmp_path, org, world.lead.email)
    target = OrganisationFactory(slug="gamma")
    MembershipFactory(organisation=target, user=world.lead)
    before = _counts()
    with pytest.raises(CommandError) as refused:
        call_command("import_dispute", str(tmp_path / "a.json"), "--organisation", "gamma")
    assert world.officer.email in str(refused.value)
    assert world.lead.email not in str(refused.value)
    assert _counts() == before


def test_import_refuses_a_file_that_is_not_an_archive_or_is_too_new(tmp_path, world, org):
    target = OrganisationFactory(slug="gamma")
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="not a PeaceCase dispute archive"):
        call_command("import_dispute", str(bad), "--organisation", target.slug)
    archive = _export(tmp_path, org, world.lead.email)
    archive["format_version"] = FORMAT_VERSION + 1
    bad.write_text(json.dumps(archive))
    with pytest.raises(CommandError, match="format version"):
        call_command("import_dispute", str(bad), "--organisation", target.slug)
    assert not Dispute.objects.filter(organisation=target).exists()


def test_import_reuses_a_party_the_organisation_already_has(tmp_path, world, org):
    _export(tmp_path, org, world.lead.email)
    target = OrganisationFactory(slug="gamma")
    for user in (world.lead, world.officer):
        MembershipFactory(organisation=target, user=user)
    existing = Party.objects.create(organisation=target, kind="state", name="Northern  front")
    call_command("import_dispute", str(tmp_path / "a.json"), "--organisation", "gamma", stdout=StringIO())
    restored = Dispute.objects.get(organisation=target)
    assert restored.case_parties.filter(party=existing).exists()
    assert Party.objects.filter(organisation=target).count() == 3


@pytest.mark.parametrize("extra", [1, 12])
def test_the_export_runs_a_fixed_number_of_queries(world, org, django_assert_num_queries, extra):
    from apps.accounts.actors import Actor
    from apps.operations.archive import dispute_archive_build
    from tests.factories import ActionItemFactory, MediationSessionFactory, SessionNoteFactory

    for _ in range(extra):
        session = MediationSessionFactory(dispute=world.dispute)
        SessionNoteFactory(session=session, visibility="team")
        ActionItemFactory(session=session, owner_user=world.officer)
    actor = Actor.for_membership(Membership.objects.get(user=world.lead, organisation=org))
    with django_assert_num_queries(43):
        archive = dispute_archive_build(actor=actor, dispute=world.dispute)
    assert len(archive["sessions"]) == 2 + extra
