"""Bulk data generator for benchmarks: N realistic dossiers in every status, on PostgreSQL.

``generate(total=N)`` tops the database up to N dossiers spread over the demo catalogue
(every procedure version × each agency implementing it), in every state with its national
status code, with received and due dates around now (some overdue, some due within a day),
specialists assigned (``BENCH_SPECIALISTS`` per agency are created, the demo specialist
among them), departments, one open processing step where the state has one, open
consultations (liên thông) to another agency, two documents per dossier (stored-document
metadata for the first two components of the procedure; no file behind them), a rating on
most returned dossiers, the closing time of refused, withdrawn and stopped ones (``closed_at``:
the refusal event's time; up to four days after receipt for the others), and the dossier's events: ``submit`` and, once it was received or
refused, ``receive``/``refuse``, MAC-chained exactly as ``dossiers.core.events`` computes
them, with the first key of ``EVENT_CHAIN_KEYS`` (HMAC-SHA-256 written out with PostgreSQL's
``sha256()``, no extension needed; ``verify_events`` passes). Only INSERTs: the events table's
append-only trigger is left in place.

How it is fast (a million dossiers, about 6.5 million rows, in well under five minutes on two
cores): every row is computed on the server from ``generate_series`` in one statement per
chunk (data-modifying CTEs write the six tables from one pass); no row goes over the wire.
When a large batch is added (``BULK_THRESHOLD`` rows or more), the whole load runs in one
transaction that first drops the secondary indexes, unique constraints and foreign keys of
the six tables, and rebuilds them at the end (a sorted index build is many times cheaper than
a million random insertions, and re-adding a foreign key validates it with one join instead
of a trigger per row). The transaction keeps this safe: if the load fails, PostgreSQL rolls
the dropped indexes back with it.

Requires ``seed_demo`` to have run; idempotent (it only adds what is missing). Run as
``python -m bench.child bench.datagen N`` against ``DATABASE_URL``; ``BENCH_DOSSIERS`` is the
default N (1,000,000; 10,000,000 for the national-scale run).
"""

import hashlib
import sys
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from bench.dbsetup import default_total
from dossiers.core.events import chain_keys
from dossiers.models import Dossier
from portal.constants import OfficerRole
from portal.models import OfficerMembership, User
from procedures.models import Agency, Department, DocumentRequirement, ProcedureVersion

BENCH_SPECIALISTS = 12
CHUNK = 250_000
BULK_THRESHOLD = 100_000
TABLES = (
    "dossiers_dossier",
    "dossiers_dossierevent",
    "dossiers_dossierstep",
    "dossiers_consultation",
    "dossiers_storeddocument",
    "dossiers_dossierdocument",
)

# (share in %, state, status code, open step: (index, key, role) or None); shares sum to 100.
STATES = [
    (5, "submitted", 1, None),
    (5, "received", 2, (1, "assign", "department_head")),
    (14, "processing", 4, (2, "appraise", "specialist")),
    (3, "consulting", 4, (2, "appraise", "specialist")),
    (5, "pending_approval", 4, (3, "approve", "leader")),
    (4, "supplement_requested", 5, None),
    (2, "payment_requested", 6, None),
    (3, "refused", 3, None),
    (1, "withdrawal_requested", 7, None),
    (2, "withdrawn", 7, None),
    (2, "stopped", 8, None),
    (9, "resolved", 9, (4, "return", "reception")),
    (45, "returned", 10, None),
]
OPEN = ("received", "processing", "consulting", "pending_approval", "supplement_requested", "payment_requested")
ASSIGNED = ("processing", "consulting", "pending_approval", "supplement_requested", "payment_requested", "resolved")
NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Giang",
    "Đặng Minh Hải",
    "Bùi Thị Hoa",
    "Đỗ Quang Khải",
    "Ngô Thị Lan",
]
RATING_COMMENTS = ["", "", "Cán bộ hướng dẫn nhiệt tình.", "Trả kết quả đúng hẹn.", "Thời gian chờ còn lâu."]
GENESIS = "0" * 64


def _past(created: str, after: str, share: float) -> str:
    """SQL: ``after`` past ``created``, or, for a recent dossier, that share of the time since:
    what has happened is in the past (the statistics count "open now" by the current state)."""
    return f"least({created} + interval '{after}', {created} + (now() - {created}) * {share})"


STEP_NAMES = {
    "assign": "Phân công xử lý",
    "appraise": "Thẩm định, đề xuất",
    "approve": "Phê duyệt kết quả",
    "return": "Trả kết quả",
}


def _state_case(column: str) -> str:
    """SQL CASE mapping a bucket 0–99 (``b``) to ``column`` of STATES (state, code)."""
    parts, low = [], 0
    for share, state, code, _step in STATES:
        value = f"'{state}'" if column == "state" else str(code)
        parts.append(f"WHEN b < {low + share} THEN {value}")
        low += share
    return "CASE " + " ".join(parts) + " END"


def _step_case() -> str:
    """SQL CASE: the open step of a state as ARRAY[index, key, role, name], NULL when none."""
    rows = " ".join(
        f"WHEN '{state}' THEN ARRAY['{step[0]}', '{step[1]}', '{step[2]}', '{STEP_NAMES[step[1]]}']"
        for _share, state, _code, step in STATES
        if step
    )
    return f"CASE s.state {rows} END"


def _ensure_specialists(agencies) -> dict[int, list[int]]:
    """``BENCH_SPECIALISTS`` specialists per agency (existing ones kept), by agency id."""
    user_model = get_user_model()
    result: dict[int, list[int]] = {}
    for agency in agencies:
        ids = list(
            OfficerMembership.objects.filter(agency=agency, role=OfficerRole.SPECIALIST, is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        for n in range(len(ids), BENCH_SPECIALISTS):
            user, _ = user_model.objects.get_or_create(
                email=f"bench.specialist{n}.{agency.pk}@example.vn",
                defaults={"full_name": f"Chuyên viên {NAMES[n % len(NAMES)]}"},
            )
            OfficerMembership.objects.get_or_create(user=user, agency=agency, role=OfficerRole.SPECIALIST)
            ids.append(user.pk)
        result[agency.pk] = ids
    return result


def _event_json(*, seq: int, action: str, to_sql: str, from_state: str, time_sql: str, prev_sql: str) -> str:
    """SQL for the canonical JSON of an event, as ``events.event_canonical`` writes it (sorted keys)."""
    iso = f"to_char({time_sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00'"
    return (
        f'\'{{"action":"\' || {action} || \'","actor":null,"actor_label":"","dossier":\' || s.id::text'
        f' || \',"from":"{from_state}","note":"","payload":{{}},"prev":"\' || {prev_sql}'
        f' || \'","seq":{seq},"step":0,"time":"\' || {iso} || \'","to":"\' || {to_sql} || \'"}}\''
    )


def _hmac_pads() -> tuple[str, str, str]:
    """(key id, inner pad, outer pad) of the signing chain key, the pads as SQL bytea literals:
    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) with a 64-byte block (RFC 2104)."""
    key_id, secret = next(iter(chain_keys().items()))
    block = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret).ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    return key_id, f"'\\x{inner.hex()}'::bytea", f"'\\x{outer.hex()}'::bytea"


def _sha(json_sql: str) -> str:
    """SQL: the event's HMAC-SHA-256 (hex) under the signing chain key."""
    _key_id, inner, outer = _hmac_pads()
    return f"encode(sha256({outer} || sha256({inner} || convert_to({json_sql}, 'UTF8'))), 'hex')"


def _secondary_schema(cur) -> tuple[list[str], list[str]]:
    """(statements dropping, statements recreating) the secondary indexes, unique constraints
    and foreign keys of TABLES; primary keys and CHECK constraints stay."""
    tables = list(TABLES)
    drops, creates = [], []
    cur.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        [tables],
    )
    constraints = cur.fetchall()
    for table, name, _kind, _definition in constraints:
        drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    # Unique constraints before foreign keys (contype 'u' sorts after 'f', hence DESC above).
    for table, name, _kind, definition in constraints:
        creates.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    creates.sort(key=lambda s: " FOREIGN KEY " in s)
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    for name, definition in cur.fetchall():
        drops.append(f"DROP INDEX {name}")
        creates.insert(0, definition)
    return drops, creates


def _insert_chunk(cur, *, first: int, last: int, base: int, bases: dict, pairs: int, citizen: int) -> None:
    names = "ARRAY[" + ",".join(f"'{n}'" for n in NAMES) + "]"
    comments = "ARRAY[" + ",".join(f"'{c}'" for c in RATING_COMMENTS) + "]"
    h1 = _sha(_event_json(seq=1, action="'submit'", to_sql="'submitted'", from_state="draft",
                          time_sql="s.created", prev_sql=f"'{GENESIS}'"))  # fmt: skip
    later = "CASE WHEN s.state = 'refused' THEN 'refuse' ELSE 'receive' END"
    reached = "CASE WHEN s.state = 'refused' THEN 'refused' ELSE 'received' END"
    h2 = _sha(_event_json(seq=2, action=later, to_sql=reached, from_state="submitted",
                          time_sql="s.received", prev_sql="s.h1"))  # fmt: skip
    offset = f"(s.id - {base})"
    key_id = _hmac_pads()[0].replace("'", "''")
    cur.execute(
        f"""
        WITH r AS (
          SELECT g.i AS id, g.h, p.*, (g.h %% 100) AS b,
                 date_trunc('second', now()) - make_interval(mins => (g.h %% (200 * 1440))::int)
                   + make_interval(secs => ((g.h / 7) %% 1000000) / 1000000.0) AS created
          FROM (SELECT i, (i * 2654435761) %% 1000003 AS h FROM generate_series(%(first)s, %(last)s) AS i) g
          JOIN bench_pick p ON p.n = g.i %% %(pairs)s
        ), t AS (
          SELECT r.*, {_state_case("state")} AS state, {_state_case("code")} AS code,
                 date_trunc('minute', now()) + make_interval(mins => ((r.h * 7) %% (40 * 1440))::int - 5 * 1440) AS due
          FROM r
        ), u AS (
          SELECT t.*, t.state NOT IN ('submitted') AS has_second,
                 CASE WHEN t.state = 'submitted' THEN NULL ELSE t.created + interval '1 hour' END AS received
          FROM t
        ), s0 AS (
          SELECT u.*, {h1.replace("s.", "u.")} AS h1 FROM u
        ), s AS MATERIALIZED (
          SELECT s0.*, CASE WHEN s0.has_second THEN {h2.replace("s.", "s0.")} END AS h2,
                 {_step_case().replace("s.state", "s0.state")} AS step
          FROM s0
        ), dossiers AS (
          INSERT INTO dossiers_dossier (
            id, code, applicant_name, applicant_id_number, applicant_phone, applicant_email,
            applicant_address, channel, state, status_code, form_data, tracking_pin_hash,
            idempotency_key, idempotency_fingerprint, submitted_at, received_at, due_at, resolved_at, returned_at,
            paused_at,
            paused_minutes, current_step, rating, rating_comment, rated_at, closed_at, events_count,
            last_event_hash, created_at, updated_at, applicant_id, assigned_to_id, procedure_id, procedure_version_id,
            receiving_agency_id, department_id, outcome, postal_tracking_number, resume_state,
            return_method, returned_to, step_role, form_sources, form_corrections
          )
          SELECT s.id,
            s.agency_code || '-' || to_char(s.created, 'YYMMDD') || '-B'
              || CASE WHEN s.id >= 1000000 THEN s.id::text ELSE lpad(s.id::text, 7, '0') END,
            ({names})[1 + s.h %% {len(NAMES)}], lpad((s.h * 31 %% 1000000000000)::text, 12, '0'), '', '',
            '', 'online', s.state, s.code,
            jsonb_build_object('full_name', ({names})[1 + s.h %% {len(NAMES)}], 'note', 'Hồ sơ sinh tự động'),
            '', '', '', s.created,
            CASE WHEN s.state IN ('submitted', 'refused') THEN NULL ELSE s.received END,
            CASE WHEN s.state IN ('submitted', 'refused') THEN NULL
                 WHEN s.state IN {OPEN} THEN s.due ELSE s.created + interval '10 days' END,
            CASE WHEN s.state IN ('resolved', 'returned') THEN {_past("s.created", "8 days", 0.8)} END,
            CASE WHEN s.state = 'returned' THEN {_past("s.created", "9 days", 0.85)} END,
            CASE WHEN s.state IN ('supplement_requested', 'payment_requested') THEN now() - interval '1 day' END,
            0, CASE s.state WHEN 'received' THEN 1 WHEN 'pending_approval' THEN 3 WHEN 'resolved' THEN 4
                            WHEN 'returned' THEN 4 WHEN 'submitted' THEN 0 ELSE 2 END,
            CASE WHEN s.state = 'returned' AND (s.h / 1000) %% 10 < 9
                 THEN (ARRAY['very_satisfied', 'very_satisfied', 'very_satisfied', 'very_satisfied',
                             'very_satisfied', 'satisfied', 'satisfied', 'satisfied', 'dissatisfied'])
                      [1 + (s.h / 1000) %% 10] ELSE '' END,
            CASE WHEN s.state = 'returned' AND (s.h / 1000) %% 10 < 9
                 THEN ({comments})[1 + (s.h / 10) %% {len(RATING_COMMENTS)}] ELSE '' END,
            CASE WHEN s.state = 'returned' AND (s.h / 1000) %% 10 < 9
                 THEN {_past("s.created", "10 days", 0.9)} END,
            CASE WHEN s.state = 'refused' THEN s.received
                 WHEN s.state IN ('withdrawn', 'stopped')
                 THEN least(s.received + make_interval(hours => (1 + s.h %% 96)::int), now()) END,
            CASE WHEN s.has_second THEN 2 ELSE 1 END, coalesce(s.h2, s.h1),
            s.created, coalesce(s.received, s.created), %(citizen)s,
            CASE WHEN s.state IN {ASSIGNED} THEN s.specialists[1 + (s.h / 100) %% cardinality(s.specialists)] END,
            s.procedure_id, s.version_id, s.agency_id,
            CASE WHEN s.state IN {ASSIGNED} AND cardinality(s.departments) > 0
                 THEN s.departments[1 + (s.h / 7) %% cardinality(s.departments)] END,
            CASE WHEN s.state IN ('resolved', 'returned') THEN 'granted' ELSE '' END, '',
            CASE WHEN s.state IN ('supplement_requested', 'payment_requested') THEN 'processing' ELSE '' END,
            CASE WHEN s.state = 'returned' THEN 'online' ELSE '' END, '',
            coalesce(s.step[3], ''), '{{}}'::jsonb, '{{}}'::jsonb
          FROM s
        ), events AS (
          INSERT INTO dossiers_dossierevent (id, seq, actor_label, action, from_state, to_state, step, note,
            payload, created_at, prev_hash, hash, key_id, actor_id, dossier_id)
          SELECT {bases["event"]} + 2 * {offset} - 1, 1, '', 'submit', 'draft', 'submitted', 0, '', '{{}}'::jsonb,
                 s.created, '{GENESIS}', s.h1, '{key_id}', NULL::bigint, s.id FROM s
          UNION ALL
          SELECT {bases["event"]} + 2 * {offset}, 2, '', {later}, 'submitted', {reached}, 0, '', '{{}}'::jsonb,
                 s.received, s.h1, s.h2, '{key_id}', NULL::bigint, s.id FROM s WHERE s.has_second
        ), steps AS (
          INSERT INTO dossiers_dossierstep (dossier_id, seq, index, key, name, role, agency_id,
            assignee_id, started_at, due_at, outcome)
          SELECT s.id, 1, s.step[1]::int, s.step[2], s.step[4], s.step[3], s.agency_id,
                 CASE WHEN s.step[3] = 'specialist'
                      THEN s.specialists[1 + (s.h / 100) %% cardinality(s.specialists)] END,
                 s.received, CASE WHEN s.state IN {OPEN} THEN s.due ELSE s.created + interval '10 days' END, ''
          FROM s WHERE s.step IS NOT NULL
        ), consultations AS (
          INSERT INTO dossiers_consultation (dossier_id, agency_id, question, requested_by_id,
            requested_at, due_at, answer, answered_by_id, answered_at)
          SELECT s.id, s.next_agency_id, 'Đề nghị cho ý kiến về hồ sơ ' || s.agency_code || ' số ' || s.id,
                 s.specialists[1 + (s.h / 100) %% cardinality(s.specialists)],
                 s.received + interval '1 day', s.due - interval '1 day', '', NULL, NULL
          FROM s WHERE s.state = 'consulting'
        ), stored AS (
          INSERT INTO dossiers_storeddocument (id, name, title, file, mime_type, size, sha256, source,
            result_code, national_source, national_document, created_at, organisation_id, owner_id)
          SELECT {bases["stored"]} + 2 * {offset} - 2 + k.k, k.file_name, k.title,
                 'bench/' || s.id || '-' || k.k || '.pdf', 'application/pdf', 20000 + s.h %% 300000,
                 md5(s.id::text || k.k::text) || md5(k.k::text || s.id::text), 'upload', '', '', '', s.created, NULL,
                 %(citizen)s
          FROM s CROSS JOIN LATERAL (VALUES (1, s.req1_name, 'to-khai.pdf'), (2, s.req2_name, 'giay-to.pdf'))
               AS k(k, title, file_name)
        )
        INSERT INTO dossiers_dossierdocument (id, component_name, is_original, copies, superseded_at,
          created_at, added_by_id, dossier_id, requirement_id, stored_id, digitisation_exempt, reuse)
        SELECT {bases["document"]} + 2 * {offset} - 2 + k.k, k.title, k.k = 1, 1, NULL, s.created,
               %(citizen)s, s.id, k.requirement, {bases["stored"]} + 2 * {offset} - 2 + k.k, '', ''
        FROM s CROSS JOIN LATERAL (VALUES (1, s.req1_name, s.req1), (2, s.req2_name, s.req2))
             AS k(k, title, requirement)
        """,  # noqa: S608 - only this module's constants and integers are formatted in
        {"first": first, "last": last, "pairs": pairs, "citizen": citizen},
    )


def generate(*, total: int | None = None, verbose: bool = False) -> dict:
    """Tops the dossiers up to ``total``; returns how many were added and how long it took."""
    total = default_total() if total is None else total
    existing = Dossier.objects.count()
    if existing >= total:
        return {"dossiers": existing, "added": 0, "seconds": 0.0}
    started = time.perf_counter()

    def say(message: str) -> None:
        if verbose:
            print(f"  {message} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    rows = list(
        ProcedureVersion.objects.filter(procedure__agencies__isnull=False)
        .order_by("pk", "procedure__agencies__pk")
        .values_list("pk", "procedure_id", "procedure__agencies__pk")
    )
    if not rows:
        raise RuntimeError("no catalogue: run `python manage.py seed_demo` first")
    # Round robin over the agencies, so each receives the same share whatever its catalogue.
    by_agency: dict[int, list] = {}
    for row in rows:
        by_agency.setdefault(row[2], []).append(row)
    longest = max(len(v) for v in by_agency.values())
    pairs = [by_agency[a][k % len(by_agency[a])] for k in range(longest) for a in sorted(by_agency)]
    agencies = list(Agency.objects.filter(pk__in={a for _v, _p, a in pairs}).order_by("pk"))
    specialists = _ensure_specialists(agencies)
    departments = {a.pk: list(Department.objects.filter(agency=a).values_list("pk", flat=True)) for a in agencies}
    citizen = User.objects.filter(officer_memberships__isnull=True).order_by("pk").values_list("pk", flat=True).first()
    requirements: dict[int, list[tuple[int, str]]] = {}
    for version_id, pk, name in DocumentRequirement.objects.order_by("version_id", "order", "pk").values_list(
        "version_id", "pk", "name"
    ):
        requirements.setdefault(version_id, []).append((pk, name))
    agency_index = {a.pk: n for n, a in enumerate(agencies)}
    codes = {a.pk: a.code for a in agencies}
    added = total - existing
    bulk = added >= BULK_THRESHOLD
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute("DROP TABLE IF EXISTS bench_pick")
        cur.execute(
            "CREATE TEMP TABLE bench_pick (n int PRIMARY KEY, version_id bigint, procedure_id bigint,"
            " agency_id bigint, agency_code text, next_agency_id bigint, specialists bigint[], departments bigint[],"
            " req1 bigint, req1_name text, req2 bigint, req2_name text) ON COMMIT DROP"
        )
        for n, (version_id, procedure_id, agency_id) in enumerate(pairs):
            nxt = agencies[(agency_index[agency_id] + 1) % len(agencies)].pk
            reqs = requirements.get(version_id, []) + [(None, "Tờ khai"), (None, "Giấy tờ kèm theo")]
            cur.execute(
                "INSERT INTO bench_pick VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [n, version_id, procedure_id, agency_id, codes[agency_id], nxt, specialists[agency_id],
                 departments[agency_id], reqs[0][0], reqs[0][1], reqs[1][0], reqs[1][1]],
            )  # fmt: skip
        cur.execute("SELECT coalesce(max(id), 0) FROM dossiers_dossier")
        base = cur.fetchone()[0]
        bases = {}
        for key, table in (
            ("event", "dossiers_dossierevent"),
            ("stored", "dossiers_storeddocument"),
            ("document", "dossiers_dossierdocument"),
        ):
            cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - a constant
            bases[key] = cur.fetchone()[0]
        creates: list[str] = []
        if bulk:
            drops, creates = _secondary_schema(cur)
            for statement in drops:
                cur.execute(statement)
            say(f"dropped {len(drops)} secondary indexes and constraints")
        done = 0
        while done < added:
            count = min(CHUNK, added - done)
            first = base + done + 1
            _insert_chunk(cur, first=first, last=first + count - 1, base=base, bases=bases, pairs=len(pairs),
                          citizen=citizen)  # fmt: skip
            done += count
            say(f"{existing + done:,} dossiers")
        for statement in creates:
            cur.execute(statement)
        if creates:
            say(f"rebuilt {len(creates)} indexes and constraints")
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
            )
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"ANALYZE {table}")
    say("analysed")
    return {"dossiers": existing + added, "added": added, "seconds": round(time.perf_counter() - started, 1)}


def child(*argv: str) -> None:
    print(generate(total=int(argv[0]) if argv else None, verbose=True))
