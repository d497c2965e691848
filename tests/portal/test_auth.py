"""Sign-in and email through allauth, password reset over real SMTP (slowing down password
guessing: tests/security/test_lockout.py)."""

import re
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _login(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_right_password_logs_in(client):
    user = UserFactory()
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_wrong_password_gives_a_form_error(client):
    user = UserFactory()
    response = _login(client, user.email, "sai-mat-khau")
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "Email hoặc mật khẩu không đúng." in errors


def test_unverified_email_cannot_log_in(client):
    user = UserFactory(verified=False)
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_password_reset_email_uses_the_locmem_backend_by_default(client):
    user = UserFactory()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # The e-mail names the portal, not the host the request reached (issue 19).
    greeting = mail.outbox[0].body.strip().splitlines()[0]
    assert settings.PORTAL_NAME in greeting and "testserver" not in greeting, greeting


def test_the_sign_up_email_greets_from_the_portal(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "moi@example.vn", "password1": "Mat-khau-2026-dai", "password2": "Mat-khau-2026-dai"},
    )
    assert response.status_code == 302
    greeting = mail.outbox[-1].body.strip().splitlines()[0]
    assert settings.PORTAL_NAME in greeting and "testserver" not in greeting, greeting


class _Recorder:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


def test_password_reset_really_crosses_smtp(client, settings, smtp_server):
    controller, recorder = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    user = UserFactory()

    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert mail.outbox == []  # it went over the wire, not into the test outbox

    assert len(recorder.envelopes) == 1
    envelope = recorder.envelopes[0]
    assert envelope.rcpt_tos == [user.email]
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    message = message_from_bytes(envelope.content)
    part = message.get_payload(0) if message.is_multipart() else message
    body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    link = re.search(r"http://testserver/accounts/password/reset/key/(\S+)/", body)
    assert link, body

    # The link from the real message opens the set-new-password form.
    page = client.get(link.group(0), follow=True)
    assert page.status_code == 200
    assert b'name="password1"' in page.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "khong-hop-le", "password1": "Mat-khau-2026-dai", "password2": "Mat-khau-2026-dai"}, "hợp lệ"),
        ({"email": "a@example.vn", "password1": "ngan", "password2": "ngan"}, "quá ngắn"),
        ({"email": "a@example.vn", "password1": "Mat-khau-2026-dai", "password2": "khac-hẳn-2026"}, "giống nhau"),
        ({"email": "a@example.vn", "password1": "12345678901", "password2": "12345678901"}, "toàn"),
    ],
)
def test_signup_errors_are_vietnamese(client, data, message):
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    errors = " ".join(e for errs in response.context["form"].errors.values() for e in errs)
    assert message in errors, errors
    assert 'lang="vi"' in response.content.decode()


def test_signup_with_a_taken_email_sends_no_duplicate_account(client):
    user = UserFactory()
    response = client.post(
        "/accounts/signup/", {"email": user.email, "password1": "Mat-khau-2026-dai", "password2": "Mat-khau-2026-dai"}
    )
    # allauth does not reveal that the address is taken: it mails the owner instead.
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "Tài khoản đã tồn tại" in mail.outbox[0].subject
