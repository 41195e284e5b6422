"""Bulk loader for the benchmark database: INSERT ... SELECT FROM generate_series, one statement per table.

The benchmark's volume (the demo data is hand-written and small). It writes straight into the
migrated tables (no services, no audit events: this is volume, not a demo), with explicit ids
so every part can be derived from the ids of its parents, then moves each id sequence past the rows and runs ANALYZE.

Plain Python + psycopg2; no Django import, so it can be timed on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Full-scale row counts (the figures); --quick uses a tenth.
FULL = {
    "disputes": 10_000,
    "parties": 50_000,
    "sessions": 200_000,
    "notes": 400_000,
    "proposals": 30_000,
    "agreements": 20_000,
    "provisions": 50_000,
    "reminders": 1_000_000,
}
# Share of the reminders that is pending and already due: the dispatcher's backlog.
DUE_SHARE = 0.005
USERS_PER_ORG = 40
BENCH_ORG = "bench"
OTHER_ORG = "bench-other"
IMPORT_ORG = "bench-import"
BENCH_USER_EMAIL = "bench@bench.example"


@dataclass(frozen=True)
class Scale:
    disputes: int
    parties: int
    sessions: int
    notes: int
    proposals: int
    agreements: int
    provisions: int
    reminders: int

    @classmethod
    def of(cls, factor: float) -> Scale:
        return cls(**{k: max(10, int(v * factor)) for k, v in FULL.items()})

    @property
    def own_disputes(self) -> int:  # disputes 1..own belong to the bench organisation
        return self.disputes * 9 // 10

    @property
    def own_parties(self) -> int:
        return self.parties * 9 // 10


def _parts(s: Scale) -> list[tuple[str, str, str]]:
    """(name, table, SQL) in dependency order. Every SQL uses only the parameters in ``params``."""
    return [
        ("organisations", "accounts_organisation", """
            INSERT INTO accounts_organisation (id, created_at, updated_at, name, slug, kind, require_2fa,
                                               session_timeout_minutes)
            VALUES (1, now(), now(), 'Bench Mediation Unit', %(org)s, 'un_msu', false, 480),
                   (2, now(), now(), 'Bench Partner NGO', %(other)s, 'ngo', false, 480),
                   (3, now(), now(), 'Bench Import Unit', %(import_org)s, 'ngo', false, 480)"""),
        # Users 1..40 work for the bench organisation, 41..80 for the other, 81 runs the importer's
        # organisation (so an import leaves the measured lists alone); user 1 signs in.
        ("users", "accounts_user", """
            INSERT INTO accounts_user (id, password, is_superuser, email, name, time_zone, language, is_staff,
                                       is_active, date_joined, session_epoch)
            SELECT u, '!unusable', false,
                   CASE WHEN u = 1 THEN %(user_email)s ELSE 'member' || u || '@bench.example' END,
                   'Mediator ' || u,
                   (ARRAY['Europe/Geneva','Africa/Nairobi','Asia/Amman','America/Bogota'])[1 + u %% 4],
                   'en', false, true, now(), 0
            FROM generate_series(1, 2 * %(upo)s + 1) u"""),
        ("memberships", "accounts_membership", """
            INSERT INTO accounts_membership (id, created_at, updated_at, role, user_id, organisation_id)
            SELECT u, now(), now(), CASE WHEN u > 2 * %(upo)s THEN 'admin' WHEN u %% 10 = 0 THEN 'case_officer'
                                         ELSE 'mediator' END, u,
                   CASE WHEN u <= %(upo)s THEN 1 WHEN u <= 2 * %(upo)s THEN 2 ELSE 3 END
            FROM generate_series(1, 2 * %(upo)s + 1) u"""),
        ("parties", "parties_party", """
            INSERT INTO parties_party (id, created_at, updated_at, kind, name, normalised_name, aliases,
                                       normalised_aliases, country, notes, pax_name, organisation_id)
            SELECT p, now(), now(),
                   (ARRAY['state','government_body','non_state_armed_group','political_party','civil_society',
                          'community','international_organisation','ngo'])[1 + p %% 8],
                   'Party ' || p, 'party ' || p, ARRAY['P' || p], ARRAY['p' || p],
                   (ARRAY['CO','SD','YE','PH','ML','CF','MZ','LY'])[1 + p %% 8], '', '',
                   CASE WHEN p <= %(own_parties)s THEN 1 ELSE 2 END
            FROM generate_series(1, %(parties)s) p"""),
        # One in seven disputes is restricted; every twentieth is closed.
        ("disputes", "disputes_dispute", """
            INSERT INTO disputes_dispute (id, created_at, updated_at, reference, title, summary, dispute_types,
                countries, process_format, track, stage, stage_before_suspension, risk, confidentiality,
                root_causes, root_causes_other, opened_on, closed_on, closure_reason, ucdp_conflict_id,
                pax_process_id, organisation_id)
            SELECT d, now() - (d %% 700) * interval '1 day', now() - (d %% 97) * interval '1 hour',
                   'PC-' || (2020 + d %% 6) || '-' || lpad(d::text, 5, '0'),
                   'Dispute ' || d || ' over the ' || (ARRAY['border','water rights','elections','power sharing',
                       'prisoner exchange','mining concessions'])[1 + d %% 6],
                   'Benchmark dispute ' || d,
                   ARRAY[(ARRAY['territorial','governance','resources','identity','security'])[1 + d %% 5]],
                   ARRAY[(ARRAY['CO','SD','YE','PH','ML','CF','MZ','LY'])[1 + d %% 8],
                         (ARRAY['KE','ET','JO','VE'])[1 + d %% 4]],
                   (ARRAY['bilateral_negotiation','multilateral_dialogue','mediation','shuttle_diplomacy',
                          'facilitation','good_offices'])[1 + d %% 6],
                   (ARRAY['1','1.5','2','3'])[1 + d %% 4],
                   CASE WHEN d %% 20 = 0 THEN 'closed' ELSE (ARRAY['intake','assessment','pre_negotiation',
                        'negotiation','agreement','implementation'])[1 + d %% 6] END,
                   '', (ARRAY['low','medium','high','critical'])[1 + d %% 4],
                   CASE WHEN d %% 7 = 0 THEN 'restricted' ELSE 'standard' END,
                   ARRAY['governance','resources'], '',
                   DATE '2018-01-01' + (d %% 2000),
                   CASE WHEN d %% 20 = 0 THEN DATE '2018-01-01' + (d %% 2000) + 300 END,
                   CASE WHEN d %% 20 = 0 THEN 'agreement_reached' ELSE '' END, '', '',
                   CASE WHEN d <= %(own_disputes)s THEN 1 ELSE 2 END
            FROM generate_series(1, %(disputes)s) d"""),
        ("stage changes", "disputes_stagechange", """
            INSERT INTO disputes_stagechange (id, from_stage, to_stage, by_label, reason, created_at, by_id, dispute_id)
            SELECT d.id, '', d.stage, 'bench', '', d.created_at, NULL, d.id FROM disputes_dispute d"""),
        # Four parties a dispute, taken from its own organisation's parties.
        ("case parties", "disputes_caseparty", """
            INSERT INTO disputes_caseparty (id, created_at, updated_at, role, red_lines, party_id, dispute_id)
            SELECT 4 * (d - 1) + k + 1, now(), now(),
                   CASE WHEN k < 2 THEN 'conflict_party' WHEN k = 2 THEN 'guarantor' ELSE 'observer' END, '',
                   CASE WHEN d <= %(own_disputes)s THEN 1 + (4 * d + k) %% %(own_parties)s
                        ELSE %(own_parties)s + 1 + (4 * d + k) %% (%(parties)s - %(own_parties)s) END,
                   d
            FROM generate_series(1, %(disputes)s) d, generate_series(0, 3) k"""),
        # A lead mediator and a co-mediator; user 1 (the one who signs in) leads every 20th own dispute.
        ("case team", "disputes_caseteammember", """
            INSERT INTO disputes_caseteammember (id, created_at, updated_at, role, starts_on, ends_on, active,
                affiliations, no_conflict_declared, conflict_override_reason, conflict_override_by_id, user_id,
                dispute_id)
            SELECT 2 * (d - 1) + k + 1, now(), now(), CASE WHEN k = 0 THEN 'lead_mediator' ELSE 'co_mediator' END,
                   DATE '2018-01-01', NULL, true, '{}', true, '', NULL,
                   CASE WHEN d <= %(own_disputes)s THEN
                        CASE WHEN k = 0 AND d %% 20 = 0 THEN 1 ELSE 2 + (d + k) %% (%(upo)s - 1) END
                        ELSE %(upo)s + 1 + (d + k) %% %(upo)s END,
                   d
            FROM generate_series(1, %(disputes)s) d, generate_series(0, 1) k"""),
        ("issues", "disputes_negotiationissue", """
            INSERT INTO disputes_negotiationissue (id, created_at, updated_at, title, description, "order", status,
                                                   dispute_id)
            SELECT 3 * (d - 1) + k + 1, now(), now(),
                   (ARRAY['Border demarcation','Prisoner exchange','Power sharing'])[k + 1], '', k, 'open', d
            FROM generate_series(1, %(disputes)s) d, generate_series(0, 2) k"""),
        # Sessions per dispute; the last two of each dispute are planned in the coming weeks.
        ("sessions", "mediation_sessions_mediationsession", """
            INSERT INTO mediation_sessions_mediationsession (id, created_at, updated_at, kind, title, round_number,
                starts_at, ends_at, time_zone, venue, virtual_link, status, status_reason, summary, outcomes,
                party_replied_at, participant_count, women_count, youth_count, civil_society_count,
                created_by_id, dispute_id, shuttle_round_id)
            SELECT s, now(), now(), x.kind, 'Round ' || x.n || ' ' || replace(x.kind, '_', ' '), x.n,
                   x.starts, x.starts + interval '3 hours', 'Europe/Geneva', 'Geneva', '',
                   CASE WHEN x.starts > now() THEN 'planned' ELSE 'held' END, '',
                   CASE WHEN x.starts > now() OR x.kind = 'caucus' THEN '' ELSE 'Held as planned.' END, '', NULL,
                   12, 5, 2, 3, NULL, x.d, NULL
            FROM generate_series(1, %(sessions)s) s
            CROSS JOIN LATERAL (
                SELECT 1 + (s - 1) %% %(disputes)s AS d, 1 + (s - 1) / %(disputes)s AS n,
                       (ARRAY['joint_session','caucus','bilateral_meeting','multilateral_round',
                              'technical_working_group'])[1 + s %% 5] AS kind,
                       now() + ((1 + (s - 1) / %(disputes)s) - %(spd)s + 2) * interval '7 days'
                             + (s %% 24) * interval '1 hour' AS starts
            ) x"""),
        ("session parties", "mediation_sessions_sessionparty", """
            INSERT INTO mediation_sessions_sessionparty (id, case_party_id, session_id)
            SELECT 2 * (s.id - 1) + k + 1, 4 * (s.dispute_id - 1) + k + 1, s.id
            FROM mediation_sessions_mediationsession s, generate_series(0, 1) k"""),
        # Notes: team-only in a caucus, shared otherwise.
        ("notes", "mediation_sessions_sessionnote", """
            INSERT INTO mediation_sessions_sessionnote (id, created_at, updated_at, author_label, text, visibility,
                version, author_id, dispute_id, session_id, source_party_id)
            SELECT n, s.starts_at + interval '1 hour', s.starts_at + interval '1 hour', 'Mediator',
                   'Note ' || n || ': the parties discussed the agenda and agreed to meet again.',
                   CASE WHEN s.kind = 'caucus' THEN 'team' ELSE 'shared' END, 1, NULL, s.dispute_id, s.id,
                   4 * (s.dispute_id - 1) + 1
            FROM generate_series(1, %(notes)s) n
            JOIN mediation_sessions_mediationsession s ON s.id = 1 + (n - 1) %% %(sessions)s"""),
        ("note versions", "mediation_sessions_sessionnoteversion", """
            INSERT INTO mediation_sessions_sessionnoteversion (id, version, text, visibility, written_by_label,
                                                               written_at, note_id, written_by_id)
            SELECT id, 1, text, visibility, author_label, created_at, id, NULL FROM mediation_sessions_sessionnote"""),
        ("action items", "mediation_sessions_actionitem", """
            INSERT INTO mediation_sessions_actionitem (id, created_at, updated_at, description, due_on, done_at,
                created_by_id, dispute_id, done_by_id, owner_party_id, owner_user_id, session_id)
            SELECT s.id / 10, s.starts_at, s.starts_at, 'Send the draft to the parties',
                   (s.starts_at + interval '14 days')::date,
                   CASE WHEN s.starts_at < now() - interval '30 days' THEN s.starts_at + interval '7 days' END,
                   NULL, s.dispute_id, NULL, 4 * (s.dispute_id - 1) + 1, NULL, s.id
            FROM mediation_sessions_mediationsession s WHERE s.id %% 10 = 0"""),
        # Three proposals a dispute, one per issue, a thread: each responds to the one before.
        ("proposals", "negotiations_proposal", """
            INSERT INTO negotiations_proposal (id, created_at, updated_at, bridging, text, concessions, status,
                tabled_at, response_deadline, status_changed_at, dispute_id, issue_id, recorded_by_id,
                responds_to_id, tabled_by_id, tabled_in_id)
            SELECT p, now(), now(), false, 'Proposal ' || p || ': a phased approach.', '',
                   (ARRAY['tabled','under_consideration','accepted','rejected'])[1 + p %% 4],
                   now() - (p %% 300) * interval '1 day', now() - (p %% 300) * interval '1 day' + interval '30 days',
                   NULL, x.d, 3 * (x.d - 1) + 1 + x.k, NULL, NULL, 4 * (x.d - 1) + 1 + x.k %% 2,
                   x.d
            FROM generate_series(1, %(proposals)s) p
            CROSS JOIN LATERAL (SELECT 1 + (p - 1) %% %(disputes)s AS d,
                                       ((p - 1) / %(disputes)s) %% 3 AS k) x"""),
        ("agreements", "agreements_agreement", """
            INSERT INTO agreements_agreement (id, created_at, updated_at, title, type, status, summary, signed_on,
                signed_on_precision, place, languages, in_force_on, ended_on, status_reason, signatories_text,
                third_parties_text, source_url, pax_agt_id, ucdp_paid, import_source, created_by_id, dispute_id,
                organisation_id)
            SELECT a, now(), now(), 'Agreement ' || a, (ARRAY['ceasefire','framework','comprehensive',
                       'implementation'])[1 + a %% 4],
                   'signed', '', DATE '2019-01-01' + (a %% 1500), 'day', 'Geneva', ARRAY['en'], NULL, NULL, '',
                   '', '', '', '', '', '', NULL, x.d, d.organisation_id
            FROM generate_series(1, %(agreements)s) a
            CROSS JOIN LATERAL (SELECT 1 + (a - 1) %% %(disputes)s AS d) x
            JOIN disputes_dispute d ON d.id = x.d"""),
        ("provisions", "agreements_provision", """
            INSERT INTO agreements_provision (id, created_at, updated_at, label, "order", text, category, deadline,
                source_code, agreement_id, verifier_organisation_id, verifier_party_id)
            SELECT v, now(), now(), 'Art. ' || (1 + (v - 1) / %(agreements)s),
                   (v - 1) / %(agreements)s, 'Provision ' || v || ': the parties shall ...',
                   (ARRAY['ceasefire','ddr','power_sharing','elections','transitional_justice','refugees_idps',
                          'socio_economic','verification'])[1 + v %% 8],
                   DATE '2020-01-01' + (v %% 2000), '', 1 + (v - 1) %% %(agreements)s, NULL, NULL
            FROM generate_series(1, %(provisions)s) v"""),
        ("provision responsible parties", "agreements_provision_responsible_parties", """
            INSERT INTO agreements_provision_responsible_parties (id, provision_id, party_id)
            SELECT v.id, v.id, cp.party_id FROM agreements_provision v
            JOIN agreements_agreement a ON a.id = v.agreement_id
            JOIN disputes_caseparty cp ON cp.id = 4 * (a.dispute_id - 1) + 1 + v.id %% 2"""),
        ("provision assessments", "agreements_implementationassessment", """
            INSERT INTO agreements_implementationassessment (id, score, assessed_on, period_start, period_end,
                narrative, evidence, source, assessed_by_label, created_at, assessed_by_id, provision_id)
            SELECT 2 * (v - 1) + k + 1, LEAST(3, (v + k) %% 4), DATE '2021-01-01' + 180 * k + v %% 90, NULL, NULL,
                   '', '', 'Monitoring report', 'bench', now(), NULL, v
            FROM generate_series(1, %(provisions)s) v, generate_series(0, 1) k"""),
        # 80 % sent, 4.5 % cancelled, 15 % pending in the future, 0.5 % pending and due now.
        ("reminders", "reminders_reminder", """
            INSERT INTO reminders_reminder (id, created_at, updated_at, kind, target_type, target_id, dispute_id,
                key, due_at, next_attempt_at, context, status, attempts, last_error, sent_at, organisation_id)
            SELECT r, now(), now(), 'session_upcoming', 'mediation_sessions.session', x.s, x.d,
                   'bench:' || r, x.due, x.due,
                   jsonb_build_object('title', 'Session ' || x.s, 'dispute_reference', 'PC-' || x.d,
                                      'event_at', to_char(x.due, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'hours', 24,
                                      'url', '/disputes/' || x.d || '/'),
                   x.status, CASE WHEN x.status = 'sent' THEN 1 ELSE 0 END, '',
                   CASE WHEN x.status = 'sent' THEN x.due END,
                   CASE WHEN x.d <= %(own_disputes)s THEN 1 ELSE 2 END
            FROM generate_series(1, %(reminders)s) r
            CROSS JOIN LATERAL (
                SELECT 1 + (r - 1) %% %(sessions)s AS s, 1 + ((r - 1) %% %(sessions)s) %% %(disputes)s AS d,
                       CASE WHEN r %% 1000 < 800 THEN 'sent' WHEN r %% 1000 < 845 THEN 'cancelled'
                            ELSE 'pending' END AS status,
                       CASE WHEN r %% 1000 < 845 THEN now() - (r %% 5000) * interval '1 hour'
                            WHEN r %% 1000 < 995 THEN now() + (1 + r %% 5000) * interval '1 hour'
                            ELSE now() - (1 + r %% 50) * interval '1 minute' END AS due
            ) x"""),
        # Recipients of the reminders still to go (pending): the lead mediator of the dispute.
        ("reminder recipients", "reminders_reminderrecipient", """
            INSERT INTO reminders_reminderrecipient (id, reminder_id, user_id)
            SELECT r.id, r.id, t.user_id FROM reminders_reminder r
            JOIN disputes_caseteammember t ON t.dispute_id = r.dispute_id AND t.role = 'lead_mediator'
            WHERE r.status = 'pending'"""),
    ]


def load(conn, *, factor: float, log: Callable[[str], None] = print, skip: set[str] | None = None) -> dict:
    """Load every part (except ``skip``); returns {"parts": {name: {"rows", "seconds"}}, "seconds"}."""
    s = Scale.of(factor)
    # Sessions per dispute must be a whole number for the planned/held split to make sense.
    params = {
        **s.__dict__, "own_disputes": s.own_disputes, "own_parties": s.own_parties, "upo": USERS_PER_ORG,
        "org": BENCH_ORG, "other": OTHER_ORG, "import_org": IMPORT_ORG, "user_email": BENCH_USER_EMAIL,
        "spd": s.sessions // s.disputes,
    }
    out: dict = {"parts": {}, "scale": factor}
    started = time.perf_counter()
    conn.autocommit = False
    with conn.cursor() as cur:
        # Each part is one statement; a single transaction keeps a half-loaded database impossible.
        cur.execute("SET LOCAL synchronous_commit = off")
        for name, table, sql in _parts(s):
            if skip and name in skip:
                continue
            t0 = time.perf_counter()
            cur.execute(sql, params)
            rows = cur.rowcount
            out["parts"][name] = {"table": table, "rows": rows, "seconds": round(time.perf_counter() - t0, 2)}
            log(f"  {name:<22} {rows:>9,} rows  {time.perf_counter() - t0:6.1f} s")
        # Identity columns must continue after the explicit ids, or the app's next INSERT collides.
        for _name, table, _sql in _parts(s):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    conn.commit()
    out["insert_seconds"] = round(time.perf_counter() - started, 2)
    t0 = time.perf_counter()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    out["analyze_seconds"] = round(time.perf_counter() - t0, 2)
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out
