"""The benchmark database migrated and seeded with demo data, and what the HTTP scenarios send.

Runs in a child process already pointed at the benchmark database (``bench.dbsetup``, chosen
before Django starts): ``python -m bench.child --database default|N bench.database
[--dossiers N] [--check-filing EPOCH]`` prints a JSON object with the bench URL, the primary
key the single-read ceiling view reads and, with ``--dossiers``, the database topped up to N
dossiers (``bench.datagen``) and what the HTTP scenarios send (``fixtures``); with
``--check-filing``, the check of the dossiers filed since then.
"""

import argparse
import base64
import contextlib
import datetime as dt
import io
import json
import os
import sys
import time
from urllib.parse import quote

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import Resolver404, resolve
from pypdf import PdfWriter

from bench.datagen import generate
from bench.dbsetup import drop_database, ensure_database, preparing
from dossiers import worklists
from dossiers.models import Dossier, DossierDocument
from portal.models import User
from portal.services import api_token_create
from procedures.models import ProcedureVersion


def _migrate_and_seed() -> str | None:
    """Migrates and loads the demo data; returns why seeding failed, or None."""
    # Commands' chatter goes to stderr: stdout carries only the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        try:
            call_command("seed_demo", verbosity=0, stdout=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - the ceiling figures stay valid without demo data
            return f"{type(exc).__name__}: {exc}".strip()
    return None


TRACKING_SAMPLE = 1000
# Codes asked at most about once each in a run: every look-up misses the public-answer cache.
TRACKING_SPREAD = 20_000
STATS_PATHS = ("/api/v1/stats/", "/api/v1/stats/summary/", "/officer/stats/")
FILING_PROCEDURE = "1.001193"  # Đăng ký khai sinh: two required documents, a form of ~12 fields
FILING_DATA = {
    "requester_name": "Nguyễn Văn Cha",
    "requester_id": "001090000001",
    "requester_phone": "0912345678",
    "requester_address": "Số 1 đường Trung Tâm, Phường Trung Tâm",
    "child_name": "Nguyễn Văn Bé",
    "child_sex": "male",
    "child_birth_date": "2026-11-01",
    "birth_place": "Bệnh viện Đa khoa Tỉnh Demo",
    "ethnicity": "Kinh",
    "mother_name": "Trần Thị Mẹ",
    "relationship": "father",
}


def _small_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _request(method: str, path: str, headers: dict | None = None, body: bytes = b"") -> dict:
    return {"method": method, "path": path, "headers": headers or {}, "body_b64": base64.b64encode(body).decode()}


SEARCH_SAMPLE = 200
# Names as officers type them: whole or in part, with or without the accents.
OFFICER_NAME_QUERIES = ["Nguyễn Văn An", "tran thi binh", "Lê Hoàng", "pham thi dung", "Đỗ Quang Khải", "ngo thi"]


def _officer_searches(scope, auth: dict) -> dict[str, list]:
    """The officer search scenarios (``GET /api/v1/officer/dossiers/``): by applicant name, by ID
    number and by code of dossiers spread over the leader's agencies, and a filtered worklist."""
    agency_ids = scope.agency_ids("view_dossiers")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT code, applicant_id_number FROM dossiers_dossier WHERE receiving_agency_id = ANY(%s)"
            " AND code IS NOT NULL AND applicant_id_number <> '' ORDER BY (id * 2654435761) %% 1000003 LIMIT %s",
            [agency_ids, SEARCH_SAMPLE],
        )
        sample = cur.fetchall()
        cur.execute(
            "SELECT p.code FROM procedures_procedure p JOIN procedures_procedure_agencies pa ON pa.procedure_id = p.id"
            " WHERE pa.agency_id = ANY(%s) ORDER BY p.code LIMIT 5",
            [agency_ids],
        )
        procedures = [row[0] for row in cur.fetchall()]
    api = "/api/v1/officer/dossiers/"
    filtered = []
    for code in procedures:
        filtered.append(_request("GET", f"{api}?list=overdue&procedure={quote(code)}&sort=due", auth))
        filtered.append(_request("GET", f"{api}?list=to-assign&procedure={quote(code)}&page_size=25", auth))
    filtered.append(_request("GET", f"{api}?list=due-soon&due=within&days=3", auth))
    filtered.append(_request("GET", f"{api}?status=4&channel=online&due=overdue", auth))
    return {
        "officer_search_name": [_request("GET", f"{api}?q={quote(q)}", auth) for q in OFFICER_NAME_QUERIES],
        "officer_search_id": [_request("GET", f"{api}?q={number}", auth) for _code, number in sample],
        "officer_search_code": [_request("GET", f"{api}?q={quote(code)}", auth) for code, _number in sample],
        "worklist_filtered": filtered,
    }


def fixtures() -> dict:
    """What the HTTP scenarios send: tracking codes, an officer's worklists, a filing body."""
    notes: list[str] = []
    with connection.cursor() as cur:
        # A spread of codes over the whole table (the hash picks rows all over it, not the newest).
        cur.execute(
            "SELECT code FROM dossiers_dossier WHERE state <> 'draft' AND code IS NOT NULL"
            " ORDER BY (id * 2654435761) %% 1000003 LIMIT %s",
            [TRACKING_SAMPLE + TRACKING_SPREAD],
        )
        codes = [row[0] for row in cur.fetchall()]
    tracking, spread = (
        [_request("GET", f"/api/v1/track/{code}/", {"Accept": "application/json"}) for code in part]
        for part in (codes[:TRACKING_SAMPLE], codes[TRACKING_SAMPLE:])
    )

    leader = User.objects.filter(email="leader@example.com").first()
    worklist = []
    searches: dict[str, list] = {}
    if leader is not None:
        _token, raw = api_token_create(user=leader, name="bench", scopes=["officer"], by_operator=True)
        auth = {"Authorization": f"Bearer {raw}", "Accept": "application/json"}
        scope = worklists.officer_scope(user=leader)
        worklist = [_request("GET", f"/api/v1/officer/worklists/{name}/", auth) for name in scope.names]
        searches = _officer_searches(scope, auth)
    else:
        notes.append("no demo leader (leader@example.com): the worklist scenario is skipped")

    filing = []
    citizen = User.objects.filter(email="citizen@example.com").first()
    version = (
        ProcedureVersion.objects.filter(procedure__code=FILING_PROCEDURE).order_by("-pk").first()
        if citizen is not None
        else None
    )
    if version is not None:
        _token, raw = api_token_create(user=citizen, name="bench", scopes=["dossiers:read", "dossiers:write"])
        required = list(version.documents.filter(required=True).order_by("order", "pk")[:2])
        body = {"procedure": FILING_PROCEDURE, "data": json.dumps(FILING_DATA, ensure_ascii=False)}
        for n, requirement in enumerate(required):
            name = f"giay-to-{n + 1}.pdf"
            body[f"documents[{requirement.pk}]"] = SimpleUploadedFile(name, _small_pdf(name), "application/pdf")
        headers = {"Authorization": f"Bearer {raw}", "Content-Type": MULTIPART_CONTENT, "Accept": "application/json"}
        filing = [_request("POST", "/api/v1/dossiers/", headers, encode_multipart(BOUNDARY, body))]
    else:
        notes.append(f"no demo citizen or procedure {FILING_PROCEDURE}: the filing scenario is skipped")

    stats = []
    for candidate in STATS_PATHS:
        try:
            resolve(candidate)
        except Resolver404:
            continue
        headers = worklist[0]["headers"] if worklist and candidate.startswith("/api/") else {}
        stats = [_request("GET", candidate, headers)]
        break
    return {
        "tracking": tracking,
        "tracking_spread": spread,
        "worklist": worklist,
        **searches,
        "filing": filing,
        "stats": stats,
        "notes": notes,
    }


def filing_check(*, since: float) -> dict:
    """The dossiers filed since ``since`` (epoch seconds): their codes, per receiving unit and
    day, must run 1..N with no gap and no duplicate, and each must hold two stored documents."""
    start = dt.datetime.fromtimestamp(since, tz=dt.UTC)
    filed = list(
        Dossier.objects.filter(created_at__gte=start, applicant__email="citizen@example.com", code__isnull=False)
        .exclude(code__contains="-B")
        .values_list("pk", "code")
    )
    problem = ""
    prefixes = {code.rsplit("-", 1)[0] for _pk, code in filed}
    for prefix in sorted(prefixes):
        codes = list(Dossier.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True))
        numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes if c.rsplit("-", 1)[1].isdigit())
        if numbers != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, (numbers[-1] if numbers else 0) + 1)) - set(numbers))[:5]
            problem = f"{prefix}: {len(numbers)} codes up to {numbers[-1] if numbers else 0}, missing {missing}"
            break
    documents = DossierDocument.objects.filter(dossier_id__in=[pk for pk, _c in filed])
    count = documents.count()
    if not problem and count != 2 * len(filed):
        problem = f"{count} documents for {len(filed)} dossiers"
    sample = documents.select_related("stored").order_by("-pk")[:20]
    if not problem and any(not default_storage.exists(d.stored.file.name) for d in sample):
        problem = "a stored document's file is missing"
    return {"dossiers": len(filed), "documents": count, "ok": not problem and bool(filed), "problem": problem}


def prepare(*, dossiers: int | None = None, check_filing_since: float | None = None) -> dict:
    """Migrates and seeds the database this process uses (rebuilt once when an older checkout
    left it unusable); then checks the filing, or tops it up to ``dossiers`` with the fixtures."""
    url = os.environ["DATABASE_URL"]
    with preparing(url):
        # A database just created by `bench.dbsetup.use_database` has no tables yet.
        created = "django_migrations" not in connection.introspection.table_names()
        try:
            seed_error = _migrate_and_seed()
        except DatabaseError:
            seed_error = "schema"
        if seed_error and not created:
            # A database left by an older checkout (a migration edited since, say) is rebuilt once.
            print(f"benchmark database {url} rebuilt after: {seed_error}", file=sys.stderr)
            connections.close_all()
            drop_database(url)
            created = ensure_database(url)
            seed_error = _migrate_and_seed()
    if seed_error:
        print(f"seed_demo failed: {seed_error}", file=sys.stderr)
    user, _ = get_user_model().objects.get_or_create(email="bench@example.com", defaults={"is_active": False})
    result = {"database_url": url, "created": created, "read_pk": user.pk, "seed_error": seed_error}
    if check_filing_since is not None:
        return {**result, "filing_check": filing_check(since=check_filing_since)}
    if dossiers is not None and not seed_error:
        result["generated"] = generate(total=dossiers, verbose=True)
        result["fixtures"] = fixtures()
    return result


def child(*argv: str) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.child --database N bench.database")
    parser.add_argument("--dossiers", type=int, help="top the database up to N dossiers and build the fixtures")
    parser.add_argument("--check-filing", type=float, metavar="EPOCH", help="check the dossiers filed since then")
    args = parser.parse_args(argv)
    print(json.dumps(prepare(dossiers=args.dossiers, check_filing_since=args.check_filing)))


def sign_in_with_both_factors(client, user) -> None:
    """Sign ``user`` in on the test ``client`` as the login form records a password and a TOTP
    code just given (officers' pages need a verified second factor); the demo officers have an
    authenticator app."""
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now},
        {"method": "mfa", "type": "totp", "at": now},
    ]
    session[AUTHENTICATION_METHODS_SESSION_KEY + "_user"] = str(user.pk)
    session.save()
