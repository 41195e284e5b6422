"""The limit: the fastest this machine, database and data serve the benchmark's list responses.

A bare WSGI app (no Django, no ORM, no serializer): each request is one hand-written SQL query
that builds the whole JSON body inside PostgreSQL (json_agg / json_build_object), and Python
only passes the bytes through. It applies the same access rule as the API for an organisation's
API key (own organisation's standard disputes, plus standard disputes shared with it) but does
no key hashing: the key is compared as a string. Served by gunicorn like the app:

    LIMIT_DSN=postgresql://... LIMIT_ORG_ID=1 LIMIT_API_KEY=... gunicorn -w 2 bench.limit_app:app
"""

from __future__ import annotations

import base64
import os
import re
from urllib.parse import parse_qs

from psycopg2.pool import SimpleConnectionPool

DSN = os.environ.get("LIMIT_DSN", "")
ORG_ID = int(os.environ.get("LIMIT_ORG_ID", "0"))
API_KEY = os.environ.get("LIMIT_API_KEY", "")

_pool: SimpleConnectionPool | None = None


def _conn_pool() -> SimpleConnectionPool:
    # Created lazily, after gunicorn forked the worker: a pool inherited across fork shares sockets.
    global _pool
    if _pool is None:
        _pool = SimpleConnectionPool(1, 4, DSN, options="-c timezone=UTC")
    return _pool


# Disputes visible to an API key of organisation %(org)s (the API's rule for a partner key).
_VISIBLE = """
    (d.confidentiality = 'standard' AND (d.organisation_id = %(org)s OR d.id = ANY(ARRAY(
        SELECT s.dispute_id FROM disputes_caseshare s WHERE s.organisation_id = %(org)s AND s.revoked_at IS NULL))))
"""

DISPUTES = f"""
WITH page AS (
    SELECT d.id, d.reference, d.title, d.stage, d.risk, d.confidentiality, d.process_format, d.track,
           d.countries, d.dispute_types, d.opened_on, d.closed_on, d.updated_at
    FROM disputes_dispute d
    WHERE {_VISIBLE} AND (%(after)s::bigint IS NULL OR d.id < %(after)s::bigint)
    ORDER BY d.id DESC
    LIMIT %(size)s + 1
), rows AS (
    SELECT p.*, row_number() OVER (ORDER BY p.id DESC) AS n FROM page p
)
SELECT json_build_object(
    'next', (SELECT CASE WHEN count(*) > %(size)s THEN min(id) FILTER (WHERE n = %(size)s) END FROM rows),
    'previous', NULL,
    'results', COALESCE((
        SELECT json_agg(json_build_object(
            'id', r.id, 'reference', r.reference, 'title', r.title, 'stage', r.stage, 'risk', r.risk,
            'confidentiality', r.confidentiality, 'process_format', r.process_format, 'track', r.track,
            'countries', r.countries, 'dispute_types', r.dispute_types, 'opened_on', r.opened_on,
            'closed_on', r.closed_on, 'updated_at', r.updated_at,
            'parties', COALESCE((
                SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'kind', p.kind, 'role', cp.role)
                                ORDER BY cp.id)
                FROM disputes_caseparty cp JOIN parties_party p ON p.id = cp.party_id
                WHERE cp.dispute_id = r.id), '[]'::json),
            'lead_mediator', (
                SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email)
                FROM disputes_caseteammember t JOIN accounts_user u ON u.id = t.user_id
                WHERE t.dispute_id = r.id AND t.active AND t.role = 'lead_mediator' LIMIT 1)
        ) ORDER BY r.id DESC)
        FROM rows r WHERE r.n <= %(size)s), '[]'::json)
)::text
"""

SESSIONS = f"""
WITH page AS (
    SELECT s.*, d.reference AS dispute_reference
    FROM mediation_sessions_mediationsession s JOIN disputes_dispute d ON d.id = s.dispute_id
    WHERE s.dispute_id = %(dispute)s AND {_VISIBLE}
    ORDER BY s.starts_at DESC, s.id DESC
    LIMIT %(size)s + 1
), rows AS (
    SELECT p.*, row_number() OVER (ORDER BY p.starts_at DESC, p.id DESC) AS n FROM page p
)
SELECT json_build_object(
    'next', (SELECT CASE WHEN count(*) > %(size)s THEN min(id) FILTER (WHERE n = %(size)s) END FROM rows),
    'previous', NULL,
    'results', COALESCE((
        SELECT json_agg(json_build_object(
            'id', r.id, 'dispute_id', r.dispute_id, 'dispute_reference', r.dispute_reference, 'kind', r.kind,
            'title', r.title, 'status', r.status, 'round_number', r.round_number, 'starts_at', r.starts_at,
            'ends_at', r.ends_at, 'time_zone', r.time_zone, 'venue', r.venue, 'virtual_link', r.virtual_link,
            'shuttle_round_id', r.shuttle_round_id, 'party_replied_at', r.party_replied_at,
            'party_names', ARRAY(
                SELECT p.name FROM mediation_sessions_sessionparty sp
                JOIN disputes_caseparty cp ON cp.id = sp.case_party_id JOIN parties_party p ON p.id = cp.party_id
                WHERE sp.session_id = r.id ORDER BY sp.id),
            'created_at', r.created_at, 'updated_at', r.updated_at
        ) ORDER BY r.n)
        FROM rows r WHERE r.n <= %(size)s), '[]'::json)
)::text
"""

PROVISIONS = f"""
WITH page AS (
    SELECT v.*, a.dispute_id FROM agreements_provision v
    JOIN agreements_agreement a ON a.id = v.agreement_id JOIN disputes_dispute d ON d.id = a.dispute_id
    WHERE a.dispute_id = %(dispute)s AND {_VISIBLE}
    ORDER BY v.id DESC
    LIMIT %(size)s + 1
), rows AS (
    SELECT p.*, row_number() OVER (ORDER BY p.id DESC) AS n FROM page p
)
SELECT json_build_object(
    'next', (SELECT CASE WHEN count(*) > %(size)s THEN min(id) FILTER (WHERE n = %(size)s) END FROM rows),
    'previous', NULL,
    'results', COALESCE((
        SELECT json_agg(json_build_object(
            'id', r.id, 'agreement_id', r.agreement_id, 'dispute_id', r.dispute_id, 'label', r.label,
            'order', r."order", 'text', r.text, 'category', r.category,
            'responsible_party_ids', ARRAY(
                SELECT rp.party_id FROM agreements_provision_responsible_parties rp
                WHERE rp.provision_id = r.id ORDER BY rp.party_id),
            'verifier_party_id', r.verifier_party_id, 'verifier_organisation_id', r.verifier_organisation_id,
            'deadline', r.deadline, 'current_score', cur.score, 'current_assessed_on', cur.assessed_on,
            'is_overdue', r.deadline < CURRENT_DATE AND (cur.score IS NULL OR cur.score < 3),
            'created_at', r.created_at, 'updated_at', r.updated_at
        ) ORDER BY r.id DESC)
        FROM rows r
        LEFT JOIN LATERAL (
            SELECT ia.score, ia.assessed_on FROM agreements_implementationassessment ia
            WHERE ia.provision_id = r.id ORDER BY ia.assessed_on DESC, ia.id DESC LIMIT 1
        ) cur ON true
        WHERE r.n <= %(size)s), '[]'::json)
)::text
"""

# Stage changes, sessions, shared notes, disclosures, proposals and action items, newest first.
TIMELINE = f"""
WITH allowed AS (
    SELECT d.id FROM disputes_dispute d WHERE d.id = %(dispute)s AND {_VISIBLE}
), keys AS (
    SELECT * FROM (
        SELECT c.created_at AS at, 1 AS kind, c.id FROM disputes_stagechange c
        WHERE c.dispute_id IN (SELECT id FROM allowed)
        UNION ALL
        SELECT s.starts_at, 2, s.id FROM mediation_sessions_mediationsession s
        WHERE s.dispute_id IN (SELECT id FROM allowed)
        UNION ALL
        SELECT n.created_at, 3, n.id FROM mediation_sessions_sessionnote n
        WHERE n.dispute_id IN (SELECT id FROM allowed) AND n.visibility <> 'team'
        UNION ALL
        SELECT x.disclosed_at, 4, x.id FROM mediation_sessions_disclosure x
        WHERE x.dispute_id IN (SELECT id FROM allowed) AND x.note_visibility <> 'team'
        UNION ALL
        SELECT p.tabled_at, 5, p.id FROM negotiations_proposal p WHERE p.dispute_id IN (SELECT id FROM allowed)
        UNION ALL
        SELECT a.created_at, 6, a.id FROM mediation_sessions_actionitem a WHERE a.dispute_id IN (SELECT id FROM allowed)
    ) u
    ORDER BY at DESC, kind DESC, id DESC
    LIMIT %(size)s + 1
), numbered AS (
    SELECT k.*, row_number() OVER (ORDER BY at DESC, kind DESC, id DESC) AS n FROM keys k
)
SELECT json_build_object(
    'next', (SELECT CASE WHEN count(*) > %(size)s THEN max(n) END FROM numbered),
    'results', COALESCE((
        SELECT json_agg(json_build_object(
            'kind', (ARRAY['stage_change','session','note','disclosure','proposal','action_item'])[k.kind],
            'at', k.at, 'id', k.id,
            'data', CASE k.kind
                WHEN 1 THEN (SELECT json_build_object('from_stage', c.from_stage, 'to_stage', c.to_stage,
                                 'reason', c.reason, 'by', c.by_label)
                             FROM disputes_stagechange c WHERE c.id = k.id)
                WHEN 2 THEN (SELECT json_build_object('title', s.title, 'kind', s.kind, 'status', s.status,
                                 'ends_at', s.ends_at, 'parties', COALESCE((
                                     SELECT json_agg(p.name ORDER BY sp.id) FROM mediation_sessions_sessionparty sp
                                     JOIN disputes_caseparty cp ON cp.id = sp.case_party_id
                                     JOIN parties_party p ON p.id = cp.party_id WHERE sp.session_id = s.id),
                                     '[]'::json))
                             FROM mediation_sessions_mediationsession s WHERE s.id = k.id)
                WHEN 3 THEN (SELECT json_build_object('session_id', n.session_id, 'visibility', n.visibility,
                                 'author', n.author_label, 'text', n.text)
                             FROM mediation_sessions_sessionnote n WHERE n.id = k.id)
                WHEN 4 THEN (SELECT json_build_object('note_id', x.note_id, 'proposal_id', x.proposal_id,
                                 'to_party', p.name, 'session_id', x.session_id, 'by', x.disclosed_by_label)
                             FROM mediation_sessions_disclosure x JOIN disputes_caseparty cp ON cp.id = x.to_party_id
                             JOIN parties_party p ON p.id = cp.party_id WHERE x.id = k.id)
                WHEN 5 THEN (SELECT json_build_object('issue_id', pr.issue_id, 'issue', i.title,
                                 'status', pr.status, 'bridging', pr.bridging, 'tabled_by', tp.name, 'text', pr.text)
                             FROM negotiations_proposal pr JOIN disputes_negotiationissue i ON i.id = pr.issue_id
                             LEFT JOIN disputes_caseparty tc ON tc.id = pr.tabled_by_id
                             LEFT JOIN parties_party tp ON tp.id = tc.party_id WHERE pr.id = k.id)
                ELSE (SELECT json_build_object('description', a.description, 'due_on', a.due_on,
                          'done_at', a.done_at, 'is_overdue', a.done_at IS NULL AND a.due_on < CURRENT_DATE,
                          'session_id', a.session_id)
                      FROM mediation_sessions_actionitem a WHERE a.id = k.id)
            END
        ) ORDER BY k.n)
        FROM numbered k WHERE k.n <= %(size)s), '[]'::json)
)::text
"""

ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/api/v1/disputes/$"), "disputes", DISPUTES),
    (re.compile(r"^/api/v1/disputes/(?P<dispute>\d+)/timeline/$"), "timeline", TIMELINE),
    (re.compile(r"^/api/v1/sessions/$"), "sessions", SESSIONS),
    (re.compile(r"^/api/v1/disputes/(?P<dispute>\d+)/sessions/$"), "sessions", SESSIONS),
    (re.compile(r"^/api/v1/provisions/$"), "provisions", PROVISIONS),
    (re.compile(r"^/api/v1/disputes/(?P<dispute>\d+)/provisions/$"), "provisions", PROVISIONS),
]


def _next_link(environ: dict, marker: object, query: dict[str, list[str]]) -> str | None:
    if marker is None:
        return None
    cursor = base64.urlsafe_b64encode(f"p={marker}".encode()).decode()
    params = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "cursor")
    host = environ.get("HTTP_HOST", "127.0.0.1")
    return f"http://{host}{environ['PATH_INFO']}?{params}{'&' if params else ''}cursor={cursor}"


def _respond(start_response, status: str, body: bytes, content_type: str = "application/json"):
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def app(environ: dict, start_response):
    if environ.get("HTTP_AUTHORIZATION", "") != f"Api-Key {API_KEY}":
        return _respond(start_response, "401 Unauthorized", b'{"detail":"no key"}')
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    for pattern, _name, sql in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        params = {
            "org": ORG_ID,
            "size": min(int(query.get("page_size", ["50"])[0]), 200),
            "after": None,
            "dispute": int(match.groupdict().get("dispute") or (query.get("dispute") or query.get("dispute_id")
                                                                or ["0"])[0]),
        }
        pool = _conn_pool()
        conn = pool.getconn()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                body: str = cur.fetchone()[0]
            conn.rollback()  # end the read transaction; nothing was written
        finally:
            pool.putconn(conn)
        # The next link is the only part built in Python: PostgreSQL returned the cursor position.
        head, sep, rest = body.partition('"next" : ')
        if sep:
            value, comma, tail = rest.partition(",")
            marker = None if value.strip() == "null" else value.strip()
            link = _next_link(environ, marker, query)
            body = head + sep + ("null" if link is None else f'"{link}"') + comma + tail
        return _respond(start_response, "200 OK", body.encode())
    return _respond(start_response, "404 Not Found", b'{"detail":"not found"}')
