"""The Zalo OA tracking chatbot: signed webhook calls only, answers (in Vietnamese) sent through
the outbox to the sandbox Zalo server's OA message API, the /track/ look-up and rate limit."""

import time

import pytest
from django.utils import timezone

from dossiers.services import event_append
from portal.models import OutboxMessage
from portal.zalo import SIGNATURE_HEADER, dumps, signature
from tests.dossiers.factories import TEST_PIN, DossierFactory
from tests.factories import PASSWORD, UserFactory
from tests.portal.zalo.conftest import APP_ID, SECRET

pytestmark = pytest.mark.django_db
WEBHOOK = "/zalo/webhook/"


@pytest.fixture
def sandbox(sandbox_factory):
    return sandbox_factory("http://127.0.0.1:9/unused/")


@pytest.fixture
def dossier(db):
    dossier = DossierFactory(applicant_name="Lê Văn Riêng Tư", received=True)
    event_append(dossier=dossier, action="submit", actor=dossier.applicant, from_state="draft", to_state="submitted")
    return dossier


def _text_event(text: str, sender: str = "zalo-user-1") -> dict:
    return {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "sender": {"id": sender},
        "recipient": {"id": "oa-1"},
        "message": {"text": text, "msg_id": "m1"},
    }


def _post(client, payload: dict, *, secret: str = SECRET, timestamp: str | None = None, capture=None):
    payload = {**payload, "timestamp": timestamp or str(int(time.time() * 1000))}
    body = dumps(payload)
    mac = signature(app_id=APP_ID, body=body, timestamp=payload["timestamp"], secret=secret)
    return client.post(WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: mac})


def _ask(client, sandbox, text: str, capture, sender: str = "zalo-user-1") -> str:
    before = len(sandbox.oa_messages)
    with capture(execute=True):
        response = _post(client, _text_event(text, sender))
    assert response.status_code == 200
    [answer] = sandbox.oa_messages[before:]
    assert answer["user_id"] == sender
    return answer["text"]


def test_a_valid_code_gets_status_appointment_and_link(client, sandbox, dossier, django_capture_on_commit_callbacks):
    text = _ask(client, sandbox, dossier.code.lower(), django_capture_on_commit_callbacks)
    assert f"Hồ sơ {dossier.code}" in text and "Trạng thái:" in text
    assert timezone.localtime(dossier.due_at).strftime("%d/%m/%Y") in text and "Ngày hẹn trả kết quả" in text
    assert f"/dossiers/{dossier.code}/" in text and text.count("http") == 1
    assert "Lê Văn Riêng Tư" not in text  # nothing personal without the PIN
    assert "mã PIN" in text


def test_a_valid_code_with_its_pin_gets_the_details(client, sandbox, dossier, django_capture_on_commit_callbacks):
    text = _ask(client, sandbox, f"{dossier.code} {TEST_PIN}", django_capture_on_commit_callbacks)
    assert "Người nộp: Lê Văn Riêng Tư" in text and "Trạng thái:" in text


def test_a_wrong_pin_reads_as_an_unknown_code(client, sandbox, dossier, django_capture_on_commit_callbacks):
    text = _ask(client, sandbox, f"{dossier.code} 000000", django_capture_on_commit_callbacks)
    assert "Không tìm thấy hồ sơ" in text and "Lê Văn Riêng Tư" not in text


def test_an_unknown_code_gets_a_clear_answer(client, sandbox, db, django_capture_on_commit_callbacks):
    text = _ask(client, sandbox, "H99-000000-0000", django_capture_on_commit_callbacks)
    assert text.startswith("Không tìm thấy hồ sơ H99-000000-0000.")
    assert "Vui lòng gửi mã hồ sơ" in _ask(client, sandbox, "   ", django_capture_on_commit_callbacks)


@pytest.mark.parametrize("how", ["wrong secret", "no header", "tampered body", "stale", "future"])
def test_unsigned_or_stale_calls_are_refused_and_nothing_sent(
    client, sandbox, dossier, django_capture_on_commit_callbacks, how
):
    payload = {**_text_event(dossier.code), "timestamp": str(int(time.time() * 1000))}
    if how in ("stale", "future"):
        payload["timestamp"] = str(int((time.time() + (-400 if how == "stale" else 400)) * 1000))
    body = dumps(payload)
    mac = signature(app_id=APP_ID, body=body, timestamp=payload["timestamp"], secret=SECRET)
    headers = {SIGNATURE_HEADER: mac}
    if how == "wrong secret":
        headers = {SIGNATURE_HEADER: signature(app_id=APP_ID, body=body, timestamp=payload["timestamp"], secret="x")}
    elif how == "no header":
        headers = {}
    elif how == "tampered body":
        body = body.replace(b"zalo-user-1", b"zalo-user-2")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(WEBHOOK, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert sandbox.oa_messages == [] and not OutboxMessage.objects.exists()


def test_the_rate_limit_is_the_tracking_one_per_sender(
    client, sandbox, dossier, settings, django_capture_on_commit_callbacks
):
    settings.TRACKING_RATE_LIMIT = 2
    capture = django_capture_on_commit_callbacks
    for _ in range(2):
        assert "Trạng thái:" in _ask(client, sandbox, dossier.code, capture)
    limited = _ask(client, sandbox, dossier.code, capture)
    assert "quá nhiều lần" in limited and dossier.code not in limited
    # Another Zalo user is counted apart; the web /track/ page too (per address).
    assert "Trạng thái:" in _ask(client, sandbox, dossier.code, capture, sender="zalo-user-2")
    assert client.get("/track/", {"code": dossier.code}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 400),
        (b'"text"', 400),
        (b"{}", 403),  # no timestamp: nothing to check the signature against
        (b"[" * 5000 + b"]" * 5000, 400),  # nested deeper than the parser's recursion limit
    ],
)
def test_malformed_bodies_are_4xx(client, sandbox, body, status):
    response = client.post(WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: "mac=00"})
    assert response.status_code == status
    assert sandbox.oa_messages == []


@pytest.mark.parametrize(
    "payload",
    [
        {"event_name": "user_send_text", "sender": {"id": "u"}},
        {"event_name": "user_send_text", "message": {"text": "x"}},
        {"event_name": "user_send_text", "sender": "u", "message": {"text": "x"}},
        {"event_name": "user_send_text", "sender": {"id": "u"}, "message": {"text": 5}},
        {"event_name": "user_received_message", "message": {}},
        {"event_name": "user_received_message"},
        {"app_id": APP_ID},
    ],
)
def test_signed_calls_missing_fields_are_400(client, sandbox, payload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, payload)
    assert response.status_code == 400
    assert response.json()["message"]
    assert sandbox.oa_messages == []


def test_other_events_are_acknowledged_and_an_unknown_msg_id_changes_nothing(client, sandbox):
    assert _post(client, {"event_name": "follow", "follower": {"id": "u"}}).json()["message"] == "Ignored"
    answer = _post(client, {"event_name": "user_received_message", "message": {"msg_id": "nope"}})
    assert answer.status_code == 200 and answer.json()["found"] is False


def test_the_webhook_is_post_only_and_off_without_a_secret(client, sandbox, settings):
    assert client.get(WEBHOOK).status_code == 405
    settings.ZALO_OA_SECRET_KEY = ""
    assert _post(client, _text_event("X")).status_code == 404


def test_english_messages_for_bad_input(client, sandbox):
    response = client.post(WEBHOOK, data=b"{", content_type="application/json", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "JSON" in response.json()["message"]


def test_the_link_opens_the_dossier_after_sign_in(client, sandbox, dossier, django_capture_on_commit_callbacks):
    text = _ask(client, sandbox, dossier.code, django_capture_on_commit_callbacks)
    link = text[text.index("http") :].split()[0]
    path = link[link.index("/dossiers/") :]
    assert path == f"/dossiers/{dossier.code}/"  # the dossier's normal page
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"
    # Signing in with that next= lands on the dossier.
    signed_in = client.post(response["Location"], {"login": dossier.applicant.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == path
    page = client.get(path)
    assert page.status_code == 200 and dossier.code in page.content.decode()
    # Someone else signed in does not see it.
    client.force_login(UserFactory())
    assert client.get(path).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_message_injected_through_the_sandbox_over_http(live_server, sandbox_factory, dossier):
    sandbox = sandbox_factory(f"{live_server.url}{WEBHOOK}")
    assert sandbox.inject_user_text(sender_id="zalo-user-9", text=dossier.code) == 200
    [answer] = sandbox.oa_messages
    assert answer["user_id"] == "zalo-user-9" and f"Hồ sơ {dossier.code}" in answer["text"]
    assert sandbox.inject_user_text(sender_id="zalo-user-9", text=dossier.code, secret="forged") == 403
    assert len(sandbox.oa_messages) == 1
