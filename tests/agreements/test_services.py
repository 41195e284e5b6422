"""Writes: the agreement workflow, the version chain, signatories, provisions and assessments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.agreements import services
from apps.agreements.models import (
    Agreement,
    AgreementLink,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    ImplementationAssessment,
    Provision,
    ProvisionCategory,
    Signatory,
)
from apps.common.errors import AccessDenied, ApplicationError, ConflictError
from apps.common.models import AuditEvent
from apps.disputes.models import CaseShare
from apps.reminders.models import Reminder
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import (
    AgreementFactory,
    CaseShareFactory,
    MembershipFactory,
    ProvisionFactory,
    RepresentativeFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _draft(case, **kwargs) -> Agreement:
    return services.agreement_create(
        actor=case.mediator, dispute=case.dispute, title=kwargs.pop("title", "Ceasefire in the northern districts"),
        type=kwargs.pop("type", AgreementType.CEASEFIRE), text=kwargs.pop("text", "Article 1\nThe guns fall silent."),
        **kwargs,
    )


def _signed(case, **kwargs) -> Agreement:
    agreement = _draft(case, **kwargs)
    for party in (case.government, case.rebels):
        services.signatory_add(actor=case.mediator, agreement=agreement, party=party)
    return services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed",
                                            on=TODAY - dt.timedelta(days=30), place="Nairobi")


def _counts() -> tuple[int, ...]:
    return (Agreement.objects.count(), AgreementVersion.objects.count(), Signatory.objects.count(),
            Provision.objects.count(), ImplementationAssessment.objects.count(), AuditEvent.objects.count(),
            Reminder.objects.count(), WebhookDelivery.objects.count())


# --- agreements and versions -------------------------------------------------------------------


def test_it_creates_a_drafting_agreement_with_its_first_version_and_audits_both(case):
    agreement = _draft(case, languages=["en", "fr"], place="Nairobi")
    assert agreement.status == AgreementStatus.DRAFTING
    assert agreement.organisation == case.org
    version = agreement.versions.get()
    assert (version.number, version.based_on, version.author) == (1, None, case.mediator.user)
    actions = list(AuditEvent.objects.filter(dispute_id=case.dispute.pk).values_list("action", flat=True))
    assert "agreements.agreement.created" in actions
    assert "agreements.version.created" in actions


def test_a_new_version_names_its_base_and_the_chain_counts_up(case):
    agreement = _draft(case)
    v1 = agreement.versions.get()
    v2 = services.agreement_version_create(actor=case.mediator, agreement=agreement, based_on=v1,
                                           text="Article 1\nThe guns fall silent at midnight.", change_summary="time")
    v3 = services.agreement_version_create(actor=case.admin, agreement=agreement, based_on=v2,
                                           text="Article 1\nThe guns fall silent at midnight.\nArticle 2\nMonitors.")
    assert [(v.number, v.based_on_id) for v in agreement.versions.order_by("number")] == [
        (1, None), (2, v1.pk), (3, v2.pk)
    ]
    assert v1.text == "Article 1\nThe guns fall silent."  # never overwritten
    assert v3.author == case.admin.user


def test_it_refuses_a_version_based_on_a_stale_version_and_writes_nothing(case):
    agreement = _draft(case)
    v1 = agreement.versions.get()
    services.agreement_version_create(actor=case.mediator, agreement=agreement, based_on=v1, text="Second text")
    before = _counts()
    with pytest.raises(ConflictError) as exc:
        services.agreement_version_create(actor=case.admin, agreement=agreement, based_on=v1, text="Rival text")
    assert exc.value.code == "conflict"
    assert "version 2 is the latest" in str(exc.value.message)
    with pytest.raises(ConflictError):
        services.agreement_version_create(actor=case.admin, agreement=agreement, based_on=None, text="Another first")
    assert _counts() == before


def test_the_database_itself_refuses_two_versions_on_the_same_base(case):
    agreement = _draft(case)
    v1 = agreement.versions.get()
    AgreementVersion.objects.create(agreement=agreement, number=2, based_on=v1, text="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementVersion.objects.create(agreement=agreement, number=3, based_on=v1, text="b")


def test_a_version_cannot_be_overwritten(case):
    version = _draft(case).versions.get()
    version.text = "rewritten"
    with pytest.raises(ValueError, match="never overwritten"):
        version.save()


def test_it_refuses_an_empty_or_unchanged_text(case):
    agreement = _draft(case)
    v1 = agreement.versions.get()
    with pytest.raises(ApplicationError):
        services.agreement_version_create(actor=case.mediator, agreement=agreement, based_on=v1, text="  ")
    with pytest.raises(ApplicationError, match="same as version 1"):
        services.agreement_version_create(actor=case.mediator, agreement=agreement, based_on=v1, text=v1.text)


def test_a_version_based_on_another_agreements_version_is_refused(case):
    mine, other = _draft(case), _draft(case, title="Other")
    with pytest.raises(ApplicationError, match="another agreement"):
        services.agreement_version_create(actor=case.mediator, agreement=mine, based_on=other.versions.get(),
                                          text="x")


def test_it_refuses_an_unknown_type_or_language_code(case):
    before = _counts()
    with pytest.raises(ApplicationError):
        _draft(case, type="peace_treaty")
    with pytest.raises(ApplicationError, match="language code"):
        _draft(case, languages=["English"])
    assert _counts() == before


def test_an_agreement_cannot_be_started_in_a_suspended_dispute(case):
    case.dispute.stage = "suspended"
    case.dispute.save(update_fields=["stage"])
    with pytest.raises(ApplicationError):
        _draft(case)


# --- signing -----------------------------------------------------------------------------------


def test_signing_with_one_signatory_is_refused_and_nothing_changes(case):
    agreement = _draft(case)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.observer)  # not a conflict party
    before = _counts()
    with pytest.raises(ApplicationError, match="at least two signatories who are conflict parties") as exc:
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed")
    assert exc.value.field == "signatories"
    agreement.refresh_from_db()
    assert (agreement.status, agreement.signed_on) == (AgreementStatus.DRAFTING, None)
    assert _counts() == before


def test_witnesses_do_not_count_towards_signing(case):
    agreement = _draft(case)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.rebels, role="witness")
    with pytest.raises(ApplicationError):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed")


def test_signing_with_two_conflict_parties_freezes_the_text_and_tells_the_webhooks(case):
    WebhookEndpoint.objects.create(organisation=case.org, url="https://hooks.example/pc", events=["agreement.signed"],
                                   secret="whsec_dGVzdA==")
    agreement = _signed(case)
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.signed_on == TODAY - dt.timedelta(days=30)
    assert agreement.place == "Nairobi"
    delivery = WebhookDelivery.objects.get(event="agreement.signed")
    assert delivery.payload["agreement"]["id"] == agreement.pk
    assert delivery.payload["dispute"]["reference"] == case.dispute.reference
    assert "text" not in str(delivery.payload)
    latest = agreement.versions.get()
    before = _counts()
    with pytest.raises(ApplicationError, match="frozen"):
        services.agreement_version_create(actor=case.mediator, agreement=agreement, based_on=latest, text="Changed")
    assert _counts() == before


def test_signing_needs_a_text(case):
    agreement = services.agreement_create(actor=case.mediator, dispute=case.dispute, title="No text yet",
                                          type=AgreementType.CEASEFIRE)
    for party in (case.government, case.rebels):
        services.signatory_add(actor=case.mediator, agreement=agreement, party=party)
    with pytest.raises(ApplicationError, match="nothing to sign"):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed")


def test_a_unilateral_declaration_is_signed_by_one_party(case):
    agreement = _draft(case, type=AgreementType.UNILATERAL, title="Declaration of a unilateral ceasefire")
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.rebels)
    agreement = services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed")
    assert agreement.status == AgreementStatus.SIGNED


def test_the_type_of_a_signed_agreement_cannot_change(case):
    agreement = _signed(case)
    with pytest.raises(ApplicationError):
        services.agreement_update(actor=case.mediator, agreement=agreement, data={"type": AgreementType.UNILATERAL})


def test_a_signed_text_changes_only_through_an_amendment_with_a_reason(case):
    agreement = _signed(case)
    v1 = agreement.versions.get()
    with pytest.raises(ApplicationError, match="why"):
        services.agreement_amend(actor=case.mediator, agreement=agreement, based_on=v1, text="Amended",
                                 change_summary="Extends the ceasefire", reason=" ")
    v2 = services.agreement_amend(actor=case.mediator, agreement=agreement, based_on=v1, text="Amended",
                                  change_summary="Extends the ceasefire", reason="Protocol of 3 March")
    assert (v2.number, v2.is_amendment, v2.based_on_id) == (2, True, v1.pk)
    assert AuditEvent.objects.filter(action="agreements.version.amended", after__reason="Protocol of 3 March").exists()
    with pytest.raises(ConflictError):
        services.agreement_amend(actor=case.mediator, agreement=agreement, based_on=v1, text="Again",
                                 change_summary="x", reason="y")


def test_an_unsigned_text_is_not_amended_but_versioned(case):
    agreement = _draft(case)
    with pytest.raises(ApplicationError, match="not signed yet"):
        services.agreement_amend(actor=case.mediator, agreement=agreement, based_on=agreement.versions.get(),
                                 text="x", change_summary="x", reason="x")


# --- signatories -------------------------------------------------------------------------------


def test_it_refuses_a_signatory_that_is_not_a_party_to_the_dispute(case):
    agreement = _draft(case)
    before = _counts()
    with pytest.raises(ApplicationError, match="not a party to this dispute") as exc:
        services.signatory_add(actor=case.mediator, agreement=agreement, party=case.stranger)
    assert exc.value.field == "party"
    assert _counts() == before


def test_a_representative_must_act_for_the_signing_party(case):
    agreement = _draft(case)
    rep = RepresentativeFactory(party=case.rebels)
    with pytest.raises(ApplicationError, match="another party"):
        services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government, representative=rep)
    signatory = services.signatory_add(actor=case.mediator, agreement=agreement, party=case.rebels,
                                       representative=rep, signed_on=TODAY, place="Addis Ababa")
    assert signatory.representative == rep


def test_the_same_party_is_not_recorded_twice_in_one_role_and_signatories_stay_after_signing(case):
    agreement = _draft(case)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government)
    with pytest.raises(ApplicationError, match="already"):
        services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government)
    services.signatory_add(actor=case.mediator, agreement=agreement, party=case.rebels)
    services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed")
    with pytest.raises(ApplicationError):
        services.signatory_remove(actor=case.mediator, signatory=agreement.signatories.first())


def test_a_signing_date_in_the_future_is_refused(case):
    agreement = _draft(case)
    with pytest.raises(ApplicationError, match="future"):
        services.signatory_add(actor=case.mediator, agreement=agreement, party=case.government,
                               signed_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ApplicationError, match="future"):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="signed",
                                         on=TODAY + dt.timedelta(days=1))


# --- status workflow ---------------------------------------------------------------------------


def test_only_allowed_status_transitions(case):
    agreement = _draft(case)
    with pytest.raises(ApplicationError, match="cannot move from drafting to in force"):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="in_force")
    agreement = services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="initialled")
    with pytest.raises(ApplicationError, match="why"):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="drafting")
    services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="drafting",
                                     reason="Talks reopened on article 4")


def test_in_force_suspended_and_terminated_are_dated_and_reasoned(case):
    agreement = _signed(case)
    agreement = services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="in_force")
    assert agreement.in_force_on == TODAY
    with pytest.raises(ApplicationError):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="suspended")
    agreement = services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="suspended",
                                                 reason="Violations in the east")
    agreement = services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="terminated",
                                                 reason="Fighting resumed")
    assert (agreement.status, agreement.ended_on) == (AgreementStatus.TERMINATED, TODAY)
    with pytest.raises(ApplicationError):
        services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="in_force")


def test_superseding_names_the_new_agreement_and_links_them(case):
    old = _signed(case, title="Ceasefire of March")
    new = _signed(case, title="Comprehensive agreement", type=AgreementType.COMPREHENSIVE)
    with pytest.raises(ApplicationError, match="Name the agreement"):
        services.agreement_change_status(actor=case.mediator, agreement=old, to_status="superseded")
    with pytest.raises(ApplicationError, match="itself"):
        services.agreement_change_status(actor=case.mediator, agreement=old, to_status="superseded", superseded_by=old)
    drafting = _draft(case, title="Still a draft")
    with pytest.raises(ApplicationError, match="signed agreement"):
        services.agreement_change_status(actor=case.mediator, agreement=old, to_status="superseded",
                                         superseded_by=drafting)
    old = services.agreement_change_status(actor=case.mediator, agreement=old, to_status="superseded",
                                           superseded_by=new)
    assert old.status == AgreementStatus.SUPERSEDED
    assert AgreementLink.objects.filter(from_agreement=new, to_agreement=old, kind="supersedes").exists()
    link = AgreementLink.objects.get(from_agreement=new)
    with pytest.raises(ApplicationError, match="stays"):
        services.agreement_link_remove(actor=case.mediator, link=link)


def test_links_implements_and_renews(case, other_actor):
    base = _signed(case, title="Framework")
    impl = _draft(case, title="Implementation modalities", type=AgreementType.IMPLEMENTATION)
    link = services.agreement_link_add(actor=case.mediator, agreement=impl, target=base, kind="implements")
    assert link.kind == "implements"
    with pytest.raises(ApplicationError, match="already"):
        services.agreement_link_add(actor=case.mediator, agreement=impl, target=base, kind="implements")
    with pytest.raises(ApplicationError, match="itself"):
        services.agreement_link_add(actor=case.mediator, agreement=impl, target=impl, kind="renews")
    foreign = AgreementFactory(dispute__organisation=other_actor.organisation)
    with pytest.raises(ApplicationError, match="not found"):
        services.agreement_link_add(actor=case.mediator, agreement=impl, target=foreign, kind="renews")
    services.agreement_link_remove(actor=case.mediator, link=link)
    assert not AgreementLink.objects.exists()


# --- access ------------------------------------------------------------------------------------


def test_only_the_case_team_and_admins_write(case, other_actor):
    agreement = _draft(case)
    before = _counts()
    for actor in (case.analyst, case.outsider, other_actor):
        with pytest.raises(AccessDenied):
            services.agreement_version_create(actor=actor, agreement=agreement, based_on=agreement.versions.get(),
                                              text="Not yours")
        with pytest.raises(AccessDenied):
            services.provision_create(actor=actor, agreement=agreement, text="x", category="ceasefire")
    assert _counts() == before
    services.agreement_update(actor=case.admin, agreement=agreement, data={"place": "Arusha"})


def test_a_partner_with_a_read_share_cannot_write_but_a_contributor_can(case, other_actor):
    agreement = _draft(case)
    share = CaseShareFactory(dispute=case.dispute, organisation=other_actor.organisation, level=CaseShare.Level.READ)
    with pytest.raises(AccessDenied):
        services.agreement_update(actor=other_actor, agreement=agreement, data={"place": "Kigali"})
    share.level = CaseShare.Level.CONTRIBUTE
    share.save()
    services.agreement_update(actor=other_actor, agreement=agreement, data={"place": "Kigali"})
    # Filed under the dispute's organisation, not the contributor's.
    event = AuditEvent.objects.get(action="agreements.agreement.updated")
    assert event.organisation == case.org


def test_an_api_key_without_write_scope_cannot_write(case):
    agreement = _draft(case)
    key = Actor(organisation=case.org, role="admin", api_key_id="k1", api_key_name="reader", scopes=frozenset({"read"}))
    with pytest.raises(AccessDenied):
        services.agreement_update(actor=key, agreement=agreement, data={"place": "x"})


# --- provisions --------------------------------------------------------------------------------


def test_a_provision_deadline_before_the_agreement_was_signed_is_refused(case):
    agreement = _signed(case)
    before = _counts()
    with pytest.raises(ApplicationError, match="before the agreement was signed") as exc:
        services.provision_create(actor=case.mediator, agreement=agreement, text="Withdraw heavy weapons",
                                  category=ProvisionCategory.WITHDRAWAL, deadline=agreement.signed_on - dt.timedelta(1))
    assert exc.value.field == "deadline"
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="Withdraw heavy weapons",
                                          category=ProvisionCategory.WITHDRAWAL)
    with pytest.raises(ApplicationError):
        services.provision_set_deadline(actor=case.mediator, provision=provision,
                                        deadline=agreement.signed_on - dt.timedelta(1))
    provision.refresh_from_db()
    assert provision.deadline is None
    assert _counts()[3] == before[3] + 1


def test_responsible_parties_must_be_parties_to_the_dispute_and_the_category_known(case):
    agreement = _draft(case)
    with pytest.raises(ApplicationError, match="Responsible parties"):
        services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="ddr",
                                  responsible_parties=[case.stranger])
    with pytest.raises(ApplicationError, match="category"):
        services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="weather")
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="Canton the fighters",
                                          category="ddr", responsible_parties=[case.rebels, case.government],
                                          verifier_party=case.observer, label="4.2")
    assert set(provision.responsible_parties.all()) == {case.rebels, case.government}
    assert (provision.label, provision.order) == ("4.2", 1)


def test_the_verifier_is_one_party_or_an_organisation_that_sees_the_dispute(case, other_org):
    agreement = _draft(case)
    with pytest.raises(ApplicationError, match="not found"):
        services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="verification",
                                  verifier_organisation=other_org)
    CaseShareFactory(dispute=case.dispute, organisation=other_org)
    services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="verification",
                              verifier_organisation=other_org)
    with pytest.raises(ApplicationError, match="one verifier"):
        services.provision_create(actor=case.mediator, agreement=agreement, text="y", category="verification",
                                  verifier_organisation=other_org, verifier_party=case.observer)


def test_setting_a_deadline_schedules_reminders_and_moving_it_moves_them(case):
    agreement = _signed(case)
    deadline = TODAY + dt.timedelta(days=30)
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="Release detainees",
                                          category=ProvisionCategory.PRISONER_RELEASE, deadline=deadline)
    pending = Reminder.objects.filter(target_type="agreements.provision", target_id=provision.pk, status="pending")
    assert set(pending.values_list("kind", flat=True)) == {"provision_due", "provision_due_today", "provision_overdue"}
    due_today = pending.get(kind="provision_due_today")
    # 08:00 in the lead mediator's zone (Nairobi, UTC+3) on the day.
    assert due_today.due_at == dt.datetime.combine(deadline, dt.time(5, 0), tzinfo=dt.UTC)
    assert set(due_today.recipients.all()) == {case.mediator.user}
    later = deadline + dt.timedelta(days=14)
    services.provision_set_deadline(actor=case.mediator, provision=provision, deadline=later)
    assert pending.get(kind="provision_due_today").due_at.date() == later
    assert pending.count() == 3
    services.provision_set_deadline(actor=case.mediator, provision=provision, deadline=None)
    assert not pending.exists()


def test_a_failed_deadline_change_leaves_the_reminders_alone(case):
    agreement = _signed(case)
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="other",
                                          deadline=TODAY + dt.timedelta(days=10))
    before = list(Reminder.objects.values_list("pk", "due_at", "status"))
    with pytest.raises(ApplicationError):
        services.provision_update(actor=case.mediator, provision=provision,
                                  data={"deadline": agreement.signed_on - dt.timedelta(days=1)})
    assert list(Reminder.objects.values_list("pk", "due_at", "status")) == before


def test_provisions_of_a_signed_agreement_cannot_be_deleted(case):
    draft_provision = services.provision_create(actor=case.mediator, agreement=_draft(case), text="x", category="other")
    services.provision_delete(actor=case.mediator, provision=draft_provision)
    agreement = _signed(case)
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="other")
    with pytest.raises(ApplicationError):
        services.provision_delete(actor=case.mediator, provision=provision)


# --- implementation ----------------------------------------------------------------------------


@pytest.mark.parametrize("score", [4, -1, True, "2", 2.5])
def test_a_score_outside_the_peace_accords_matrix_scale_is_refused(case, score):
    provision = ProvisionFactory(agreement=_signed(case))
    before = _counts()
    with pytest.raises(ApplicationError, match="Peace Accords Matrix") as exc:
        services.assessment_record(actor=case.mediator, provision=provision, score=score)
    assert exc.value.field == "score"
    assert _counts() == before


def test_an_assessment_dated_in_the_future_or_before_signing_is_refused(case):
    agreement = _signed(case)
    provision = ProvisionFactory(agreement=agreement)
    with pytest.raises(ApplicationError, match="future"):
        services.assessment_record(actor=case.mediator, provision=provision, score=1,
                                   assessed_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ApplicationError, match="predate"):
        services.assessment_record(actor=case.mediator, provision=provision, score=1,
                                   assessed_on=agreement.signed_on - dt.timedelta(days=1))
    with pytest.raises(ApplicationError, match="period"):
        services.assessment_record(actor=case.mediator, provision=provision, score=1, period_start=TODAY,
                                   period_end=TODAY - dt.timedelta(days=5))
    assert not ImplementationAssessment.objects.exists()


def test_implementation_is_assessed_only_once_signed(case):
    provision = ProvisionFactory(agreement=_draft(case))
    with pytest.raises(ApplicationError, match="once the agreement is signed"):
        services.assessment_record(actor=case.mediator, provision=provision, score=0)


def test_history_is_kept_and_the_latest_by_date_is_current(case):
    from apps.agreements.selectors import provision_list

    agreement = _signed(case)
    provision = ProvisionFactory(agreement=agreement)
    services.assessment_record(actor=case.mediator, provision=provision, score=1, assessed_on=TODAY - dt.timedelta(10),
                               narrative="Cantonment sites identified", source="Joint monitoring report 3",
                               evidence="Site list annexed")
    services.assessment_record(actor=case.mediator, provision=provision, score=2, assessed_on=TODAY)
    # Recorded later but about an earlier date: history, not the current score.
    services.assessment_record(actor=case.mediator, provision=provision, score=0, assessed_on=TODAY - dt.timedelta(20))
    assert provision.assessments.count() == 3
    assert provision_list(actor=case.mediator, agreement_id=agreement.pk).get().current_score == 2


def test_full_implementation_cancels_the_deadline_reminders_and_a_relapse_restores_them(case):
    WebhookEndpoint.objects.create(organisation=case.org, url="https://hooks.example/pc",
                                   events=["provision.assessment_recorded"], secret="whsec_dGVzdA==")
    agreement = _signed(case)
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="ddr",
                                          deadline=TODAY + dt.timedelta(days=60))
    pending = Reminder.objects.filter(target_id=provision.pk, target_type="agreements.provision", status="pending")
    assert pending.count() == 3
    services.assessment_record(actor=case.mediator, provision=provision, score=3, assessed_on=TODAY)
    assert not pending.exists()
    services.assessment_record(actor=case.mediator, provision=provision, score=2, assessed_on=TODAY,
                               narrative="Some fighters re-armed")
    assert pending.count() == 3
    payloads = [d.payload for d in WebhookDelivery.objects.filter(event="provision.assessment_recorded").order_by("id")]
    assert [p["provision"]["current_score"] for p in payloads] == [3, 2]
    assert all("narrative" not in str(p) for p in payloads)


def test_terminating_an_agreement_cancels_its_deadline_reminders(case):
    agreement = _signed(case)
    services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="ddr",
                              deadline=TODAY + dt.timedelta(days=60))
    services.agreement_change_status(actor=case.mediator, agreement=agreement, to_status="terminated",
                                     reason="Collapsed")
    assert not Reminder.objects.filter(target_type="agreements.provision", status="pending").exists()


def test_assessments_cannot_be_rewritten(case):
    provision = ProvisionFactory(agreement=_signed(case))
    assessment = services.assessment_record(actor=case.mediator, provision=provision, score=1)
    assessment.score = 3
    with pytest.raises(ValueError, match="history"):
        assessment.save()


def test_the_audit_trail_files_every_write_under_the_dispute(case):
    agreement = _signed(case)
    provision = services.provision_create(actor=case.mediator, agreement=agreement, text="x", category="ddr")
    services.assessment_record(actor=case.mediator, provision=provision, score=1)
    actions = set(AuditEvent.objects.filter(dispute_id=case.dispute.pk).values_list("action", flat=True))
    assert {
        "agreements.agreement.created", "agreements.version.created", "agreements.signatory.added",
        "agreements.agreement.status_changed", "agreements.provision.created", "agreements.assessment.recorded",
    } <= actions


def test_a_member_of_another_dispute_team_cannot_write(case, org):
    other_team = MembershipFactory(organisation=org)
    from tests.factories import DisputeFactory

    DisputeFactory(organisation=org, lead=other_team.user)
    with pytest.raises(AccessDenied):
        _draft(type(case)(**{**case.__dict__, "mediator": Actor.for_membership(other_team)}))
