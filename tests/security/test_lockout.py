"""Issue 17, lock-out without denial of service: failed logins slow the attacker down (a growing
wait per address and per account), never lock the owner out, and the owner is told.

The finding: five failed logins locked the account, the right password included, so anyone
who knew an officer's e-mail could keep that officer out.
"""

import pytest
from django.core import mail
from django.test import Client

from portal import login_guard
from portal.models import Notification
from tests.factories import PASSWORD, OfficerMembershipFactory, UserFactory, totp_code, with_totp

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
FREE = 5  # LOGIN_FREE_FAILURES


@pytest.fixture
def clock(monkeypatch):
    """The guard's clock, moved by hand (the waits are seconds; the tests do not sleep)."""
    moment = {"now": 1_900_000_000.0}
    monkeypatch.setattr(login_guard, "now", lambda: moment["now"])
    return moment


def _browser() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    return client


def _login(client, email, password, ip):
    return client.post(
        LOGIN,
        {"login": email, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        REMOTE_ADDR=ip,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _errors(response) -> str:
    return " ".join(response.context["form"].non_field_errors())


def test_the_owner_signs_in_with_password_and_code_after_many_failures(clock, settings):
    officer = with_totp(OfficerMembershipFactory(role="leader").user)
    attacker = _browser()
    for n in range(FREE + 5):  # many addresses, so the attacker's own address never waits
        response = _login(attacker, officer.email, f"doan-{n}", ip=f"198.51.100.{n + 1}")
        assert response.status_code == 200 and not _signed_in(attacker)
    assert "Email hoặc mật khẩu không đúng." in _errors(response)
    owner = _browser()
    response = _login(owner, officer.email, PASSWORD, ip="203.0.113.50")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    code = owner.post(
        "/accounts/2fa/authenticate/",
        {"code": totp_code(officer), "csrfmiddlewaretoken": owner.cookies["csrftoken"].value},
        REMOTE_ADDR="203.0.113.50",
    )
    assert code.status_code == 302 and _signed_in(owner)
    assert owner.get("/officer/").status_code == 200  # signed in with both factors: officer work


def test_an_address_waits_longer_after_each_failure(clock):
    users = [UserFactory() for _ in range(FREE + 1)]
    client = _browser()
    for user in users[:FREE]:
        assert "không đúng" in _errors(_login(client, user.email, "sai", ip="198.51.100.7"))
    # The next try from there waits, even with a right password, and is not checked at all.
    held = _login(client, users[FREE].email, PASSWORD, ip="198.51.100.7")
    assert "vui lòng thử lại sau 1 giây" in _errors(held) and not _signed_in(client)
    clock["now"] += 2
    assert "không đúng" in _errors(_login(client, users[0].email, "sai", ip="198.51.100.7"))
    assert "sau 2 giây" in _errors(_login(client, users[0].email, "sai", ip="198.51.100.7"))
    clock["now"] += 3
    _login(client, users[0].email, "sai", ip="198.51.100.7")
    assert "sau 4 giây" in _errors(_login(client, users[0].email, "sai", ip="198.51.100.7"))
    assert [login_guard.wait_after(n) for n in range(FREE - 1, FREE + 12)][:4] == [0, 1, 2, 4]
    assert login_guard.wait_after(FREE + 40) == 15 * 60  # at most a quarter of an hour
    # Another address is not held.
    other = _browser()
    assert _login(other, users[FREE].email, PASSWORD, ip="203.0.113.9").status_code == 302


def test_an_account_under_attack_holds_the_attackers_addresses_not_the_owner(clock):
    owner = UserFactory()
    known = _browser()
    assert _login(known, owner.email, PASSWORD, ip="203.0.113.20").status_code == 302  # leaves its cookie
    known.post("/accounts/logout/", {"csrfmiddlewaretoken": known.cookies["csrftoken"].value})
    attacker = _browser()
    for n in range(FREE):
        _login(attacker, owner.email, f"doan-{n}", ip=f"198.51.100.{n + 1}")
    # An address that already failed on the account waits for the account's delay.
    held = _login(attacker, owner.email, "doan-khac", ip="198.51.100.1")
    assert "vui lòng thử lại sau" in _errors(held)
    # The owner's browser signs in, even from an address the attacker used (a shared network) ...
    known.get(LOGIN)
    assert _login(known, owner.email, PASSWORD, ip="198.51.100.2").status_code == 302
    # ... and so does the owner from a new device on an address that has not failed.
    fresh = _browser()
    assert _login(fresh, owner.email, PASSWORD, ip="203.0.113.77").status_code == 302


def test_the_owner_gets_one_email_about_the_failures(clock, django_capture_on_commit_callbacks):
    owner = UserFactory()
    attacker = _browser()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(FREE + 4):
            _login(attacker, owner.email, f"doan-{n}", ip=f"198.51.100.{n + 1}")
    notes = Notification.objects.filter(user=owner, event="account.login_failures")
    assert notes.count() == 1
    sent = [m for m in mail.outbox if owner.email in m.to]
    assert len(sent) == 1
    assert "đăng nhập sai" in sent[0].subject
    assert f"{FREE} lần đăng nhập sai" in sent[0].body and "không bị khóa" in sent[0].body


def test_an_unknown_email_leaves_no_one_to_tell(clock):
    attacker = _browser()
    for n in range(FREE + 1):
        _login(attacker, "khong-ai@example.vn", "sai", ip=f"198.51.100.{n + 1}")
    assert not Notification.objects.filter(event="account.login_failures").exists()
