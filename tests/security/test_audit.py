"""An audit you can trust (issue 17): the events table refuses UPDATE and DELETE, a chain
rewritten without the key is caught by its MAC, and one rewritten *with* the key by the daily
anchor, sealed by the portal and time-stamped, that only an administrator downloads.

The seal comes from the test PKI (`tests.signing.pki`) and the time-stamping authority is an
RFC 3161 service on 127.0.0.1 in this process (pyHanko's DummyTimeStamper behind HTTP).
"""

import hashlib
import importlib
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from asn1crypto import keys, tsp, x509
from cryptography.hazmat.primitives import serialization
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from pyhanko.sign.timestamps import DummyTimeStamper

from dossiers.core.events import GENESIS_HASH, event_append, event_canonical, event_mac, events_verify
from dossiers.models import Dossier, DossierEvent, EventAnchor
from dossiers.services.anchors import event_anchor_read
from dossiers.tasks import anchor_event_chains
from portal.celery import route_queue
from portal.constants import OfficerRole
from signing.backends import forget_cached_signers
from signing.constants import IdentityKind
from signing.models import TrustedCertificate
from signing.services import identity_import_pkcs12, trusted_certificate_add
from tests.dossiers.factories import DossierFactory
from tests.dossiers.helpers import triggers_off
from tests.factories import UserFactory
from tests.signing import pki as test_pki

pytestmark = pytest.mark.django_db
RECHAIN = importlib.import_module("dossiers.migrations.0009_rechain_events")
STEPS = [("submit", "draft", "submitted"), ("receive", "submitted", "received"), ("assign", "received", "processing")]


# --- the seal, the trust store and the time-stamping authority -------------------------------


@pytest.fixture(scope="module")
def pki():
    return test_pki.build()


class _TsaHandler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        return

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def tsa_server(pki):
    key_der = pki.tsa.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TsaHandler)
    server.stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(pki.tsa.der),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
        certs_to_embed=[x509.Certificate.load(pki.root.der)],
    )
    server.requests = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def portal_seal(settings, pki, tsa_server, agency):
    """The portal's seal (the agency named by EVENT_ANCHOR_AGENCY), trusted, with the TSA set."""
    forget_cached_signers()
    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{tsa_server.server_address[1]}/"
    settings.SIGNING_REVOCATION_FETCH = False
    settings.EVENT_ANCHOR_AGENCY = agency.code
    trusted_certificate_add(data=pki.root.pem)
    trusted_certificate_add(data=pki.intermediate.pem)
    password = "mật-khẩu-thử"  # noqa: S105 - test PKI only
    yield identity_import_pkcs12(
        data=test_pki.p12(pki.signer, [pki.intermediate, pki.root], password),
        password=password,
        agency=agency,
        kind=IdentityKind.AGENCY_SEAL,
        display_name="Cổng Dịch vụ công Tỉnh Demo",
    )
    forget_cached_signers()


def chained(n: int = 3) -> Dossier:
    dossier = DossierFactory()
    for action, from_state, to_state in STEPS[:n]:
        event_append(dossier=dossier, action=action, from_state=from_state, to_state=to_state, note="Ghi chú gốc")
    return dossier


def rewrite_with_the_key(dossier: Dossier, note: str) -> None:
    """What someone holding the database *and* the key can do: rewrite every note and
    recompute the chain and the recorded head, so that `verify_events` alone finds nothing."""
    prev = GENESIS_HASH
    with triggers_off():
        for event in dossier.events.order_by("seq"):
            event.note, event.prev_hash = note, prev
            prev = event_mac(event)
            DossierEvent.objects.filter(pk=event.pk).update(note=note, prev_hash=event.prev_hash, hash=prev)
    Dossier.objects.filter(pk=dossier.pk).update(last_event_hash=prev)


def verify(*args) -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_events", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue() + err.getvalue() + str(exc)
    return True, out.getvalue() + err.getvalue()


def anchor_file(tmp_path, anchor: EventAnchor, data: bytes | None = None) -> str:
    path = tmp_path / "anchor.pdf"
    if data is None:
        with anchor.file.open("rb") as handle:
            data = handle.read()
    path.write_bytes(data)
    return str(path)


# --- the append-only table ---------------------------------------------------------------------


def test_trigger_refuses_a_raw_sql_update_and_delete():
    dossier = chained(2)
    event = dossier.events.get(seq=1)
    table = DossierEvent._meta.db_table
    for sql, params in (
        (f"UPDATE {table} SET note = %s WHERE id = %s", ["Đã sửa lén", event.pk]),  # noqa: S608
        (f"DELETE FROM {table} WHERE id = %s", [event.pk]),  # noqa: S608
        (f"DELETE FROM {table} WHERE dossier_id = %s", [dossier.pk]),  # noqa: S608
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    # The ORM's bulk paths reach the same trigger.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DossierEvent.objects.filter(dossier=dossier).update(note="x")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DossierEvent.objects.filter(dossier=dossier)._raw_delete(connection.alias)
    event.refresh_from_db()
    assert event.note == "Ghi chú gốc" and dossier.events.count() == 2
    assert events_verify() == []


def test_new_events_are_still_appended_and_dossiers_without_events_deleted():
    dossier = chained(2)
    event_append(dossier=dossier, action="assign", from_state="received", to_state="processing")
    assert dossier.events.count() == 3
    draft = DossierFactory(state="draft")
    draft.delete()  # a draft has no event: deleting it is legitimate and still works
    assert not Dossier.objects.filter(pk=draft.pk).exists()


# --- the key: a chain recomputed without it is caught ------------------------------------------


def test_chain_rewritten_and_rehashed_without_the_key_is_caught():
    dossier = chained()
    prev = GENESIS_HASH
    with triggers_off():
        for event in dossier.events.order_by("seq"):
            event.note, event.prev_hash = "Đã sửa lén", prev
            prev = hashlib.sha256(event_canonical(event)).hexdigest()
            DossierEvent.objects.filter(pk=event.pk).update(note=event.note, prev_hash=event.prev_hash, hash=prev)
    Dossier.objects.filter(pk=dossier.pk).update(last_event_hash=prev)
    ok, output = verify()
    assert not ok and dossier.code in output and "#1 was altered" in output


# --- the daily anchor ----------------------------------------------------------------------------


def test_daily_anchor_lists_every_head_and_is_made_once_a_day(portal_seal, tsa_server):
    first, second = chained(3), chained(2)
    DossierFactory()  # a draft: no chain, not anchored
    requests_before = tsa_server.requests
    anchor_id = anchor_event_chains()
    assert anchor_event_chains() == anchor_id  # the second run of the day does nothing
    assert EventAnchor.objects.count() == 1 and tsa_server.requests == requests_before + 1
    anchor = EventAnchor.objects.get()
    assert anchor.dossiers_count == 2 and anchor.signed_by_identity == portal_seal.pk
    assert anchor.file.name.startswith(f"anchors/{anchor.day:%Y}/")
    with anchor.file.open("rb") as handle:
        reading = event_anchor_read(data=handle.read())
    assert reading.digest == anchor.digest and reading.day == anchor.day
    first.refresh_from_db()
    second.refresh_from_db()
    assert {pk: (h.code, h.seq, h.mac) for pk, h in reading.heads.items()} == {
        first.pk: (first.code, 3, first.last_event_hash),
        second.pk: (second.code, 2, second.last_event_hash),
    }
    [seal_report] = reading.signatures
    assert seal_report.verdict == "valid" and seal_report.timestamp is not None  # sealed and time-stamped


def test_anchor_task_runs_in_the_signing_worker_every_day(settings):
    assert route_queue("dossiers.tasks.anchor_event_chains") == "signing"
    entry = settings.CELERY_BEAT_SCHEDULE["dossiers-anchor-event-chains"]
    assert entry["task"] == "dossiers.tasks.anchor_event_chains"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {40}


def test_no_anchor_without_a_seal(settings, agency):
    chained(1)
    settings.EVENT_ANCHOR_AGENCY = agency.code  # the agency has no seal
    assert anchor_event_chains() is None
    assert not EventAnchor.objects.exists()


def test_chain_rewritten_with_the_key_is_caught_by_the_anchor(portal_seal, tmp_path):
    kept, forged = chained(3), chained(3)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    rewrite_with_the_key(forged, "Hồ sơ hợp lệ (đã sửa sau khi neo)")
    ok, _output = verify()
    assert ok  # with the key, the rewritten chain verifies on its own...
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor))
    assert not ok  # ...but not against the anchor
    assert forged.code in output and "differs from the anchored chain head" in output
    assert kept.code not in output


def test_events_after_the_anchor_still_verify_against_it(portal_seal, tmp_path):
    dossier = chained(2)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    event_append(dossier=dossier, action="assign", from_state="received", to_state="processing")
    later = chained(1)  # filed after the anchor: not in it, verified by its MAC alone
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor))
    assert ok, output
    assert "1 hồ sơ được neo" in output
    assert later.code not in output


def test_events_deleted_back_to_before_the_anchor_are_caught(portal_seal, tmp_path):
    """Deleting the newest events and resetting the recorded head passes the plain check but
    not the anchor, which knew the chain was longer."""
    dossier = chained(3)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    with triggers_off():
        DossierEvent.objects.filter(dossier=dossier, seq=3).delete()
    head = dossier.events.get(seq=2).hash
    Dossier.objects.filter(pk=dossier.pk).update(events_count=2, last_event_hash=head)
    assert verify()[0]
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor))
    assert not ok and dossier.code in output and "before the anchored head #3" in output


def test_a_dossier_removed_altogether_is_caught_by_the_anchor(portal_seal, tmp_path):
    dossier = chained(2)
    code = dossier.code
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    with triggers_off():
        DossierEvent.objects.filter(dossier=dossier).delete()
    Dossier.objects.filter(pk=dossier.pk).update(events_count=0, last_event_hash="")
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor))
    assert not ok and code in output


def test_an_altered_anchor_file_is_refused(portal_seal, tmp_path):
    chained(2)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    with anchor.file.open("rb") as handle:
        data = bytearray(handle.read())
    # Change one byte inside the signed range (the page's content stream, before the signature).
    position = data.index(b"stream") + 20
    data[position] = (data[position] + 1) % 256
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor, bytes(data)))
    assert not ok and "Tệp neo bị từ chối" in output
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor, test_pki.two_page_pdf()))
    assert not ok and "Tệp neo bị từ chối" in output  # an unsigned PDF is no anchor


def test_an_anchor_sealed_by_an_untrusted_identity_is_refused(portal_seal, tmp_path):
    chained(1)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    TrustedCertificate.objects.update(is_active=False)  # the seal no longer leads to a trusted root
    ok, output = verify("--anchor", anchor_file(tmp_path, anchor))
    assert not ok and "Tệp neo bị từ chối" in output


# --- the administrator's download -------------------------------------------------------------


def test_only_an_administrator_allowed_to_view_anchors_downloads_them(client, portal_seal, officer_factory):
    chained(1)
    anchor = EventAnchor.objects.get(pk=anchor_event_chains())
    url = reverse("admin:dossiers_eventanchor_download", args=[anchor.pk])
    with anchor.file.open("rb") as handle:
        data = handle.read()

    assert client.get(url).status_code == 302  # anonymous: to the admin's sign-in
    for user in (UserFactory(), UserFactory(is_staff=True)):  # a citizen; staff not allowed to view anchors
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    # An officer, even a leader with a second factor, is no administrator: refused (an officer
    # without a verified second factor is first sent to set it up, as everywhere in /admin/).
    officer = officer_factory(OfficerRole.LEADER)
    client.force_login(officer)
    assert client.get(url).status_code == 302
    TOTP.activate(officer, generate_totp_secret())
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code in (302, 403) and not getattr(response, "streaming", False)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_eventanchor"))
    for user in (viewer, UserFactory(is_staff=True, is_superuser=True)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == data
    missing = reverse("admin:dossiers_eventanchor_download", args=[anchor.pk + 1000])
    assert client.get(missing).status_code == 404
    listing = client.get(reverse("admin:dossiers_eventanchor_changelist"))
    assert listing.status_code == 200 and url.encode() in listing.content


# --- the re-chaining migration -----------------------------------------------------------------


def test_rechaining_migration_keys_the_existing_plain_chains_and_skips_broken_ones():
    dossiers = [chained(3) for _ in range(3)]
    with triggers_off():
        RECHAIN.unchain(apps, None)  # back to the plain SHA-256 chains the migration found
        assert set(DossierEvent.objects.values_list("key_id", flat=True)) == {""}
        broken = dossiers[2]
        DossierEvent.objects.filter(dossier=broken, seq=2).update(note="Đã sửa lén trước khi chuyển")
        rewritten, skipped = RECHAIN.rechain(apps, None, batch=2)  # several batches
    assert rewritten == 6 and skipped == [broken.pk]
    intact = DossierEvent.objects.filter(dossier__in=dossiers[:2])
    assert set(intact.values_list("key_id", flat=True)) == {"test-1"}
    assert set(broken.events.values_list("key_id", flat=True)) == {""}  # left as it was: not laundered
    [only] = events_verify()
    assert only.dossier_id == broken.pk and "unknown key ''" in only.reason


@pytest.mark.django_db(transaction=True)
def test_migrations_back_and_forth_rechain_and_reinstall_the_trigger():
    dossier = chained(3)
    executor = MigrationExecutor(connection)
    executor.migrate([("dossiers", "0008_event_keys_and_anchors")])
    assert set(dossier.events.values_list("key_id", flat=True)) == {""}  # plain chains again
    with connection.cursor() as cursor:  # no trigger at 0008
        cursor.execute("UPDATE dossiers_dossierevent SET step = step WHERE dossier_id = %s", [dossier.pk])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert set(dossier.events.values_list("key_id", flat=True)) == {"test-1"}
    assert events_verify() == []
    with pytest.raises(IntegrityError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM dossiers_dossierevent WHERE dossier_id = %s", [dossier.pk])
