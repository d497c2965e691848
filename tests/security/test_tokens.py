"""Issue 17, officer tokens: minted only from a verified session with a fresh code, expiring
within 90 days, showing their last use; and no officer row without the ``officer`` scope.

The findings: an officer with a password alone created tokens of any scope at
``/account/tokens/``, and a token with only ``dossiers:write`` carried a dossier from reception
through assignment, proposal, approval (signing) and return, as four officers without TOTP.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers import services
from dossiers.constants import DossierState
from dossiers.models import Dossier, DossierEvent
from portal.models import ApiToken
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory, Team, to_pending, to_processing
from tests.factories import UserFactory, totp_code

pytestmark = pytest.mark.django_db

TOKENS = "/account/tokens/"


def _mint(client, user, *, code: str | None, scopes=("dossiers:read", "officer"), days: str = ""):
    return client.post(
        TOKENS,
        {
            "name": "Phần mềm một cửa",
            "scopes": list(scopes),
            "expires_in_days": days,
            "totp_code": code if code is not None else "",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


def _form(client):
    page = client.get(TOKENS)
    assert page.status_code == 200
    return page


@pytest.mark.parametrize("state", ["no_totp", "password_only", "stale"])
def test_an_officer_token_needs_a_verified_session(world, session_for, state):
    officer = world.officer("leader")
    client = session_for(officer, state, enforce_csrf_checks=True)
    _form(client)
    code = totp_code(officer) if state != "no_totp" else "123456"
    response = _mint(client, officer, code=code)
    assert response.status_code == 400
    assert "xác thực hai lớp (TOTP) trong phiên đăng nhập này" in response.content.decode()
    assert not ApiToken.objects.filter(user=officer).exists()


def test_an_officer_token_needs_a_fresh_code(world, session_for):
    officer = world.officer("leader")
    client = session_for(officer, "verified", enforce_csrf_checks=True)
    _form(client)
    for code in ("", "000000"):
        response = _mint(client, officer, code=code)
        assert response.status_code == 400
        assert "Mã xác thực (TOTP) không đúng hoặc đã được dùng" in response.content.decode()
    assert not ApiToken.objects.filter(user=officer).exists()

    code = totp_code(officer)
    minted = _mint(client, officer, code=code)
    assert minted.status_code == 200, minted.content
    token = ApiToken.objects.get(user=officer)
    assert token.scopes == ["dossiers:read", "officer"]
    # 90 days unless asked for less, shown on the page.
    assert dt.timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert timezone.localtime(token.expires_at).strftime("%d/%m/%Y") in minted.content.decode()
    raw = minted.context["new_secret"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/officer/worklists/").status_code == 200
    # The same code again is refused: a code read over a shoulder mints nothing more.
    replay = _mint(client, officer, code=code)
    assert replay.status_code == 400 and ApiToken.objects.filter(user=officer).count() == 1


def test_wrong_codes_are_limited(world, session_for):
    officer = world.officer("leader")
    client = session_for(officer, "verified", enforce_csrf_checks=True)
    _form(client)
    for _ in range(5):
        _mint(client, officer, code="000000")
    response = _mint(client, officer, code=totp_code(officer))
    assert response.status_code == 400
    assert "sai mã xác thực quá nhiều lần" in response.content.decode()
    assert not ApiToken.objects.filter(user=officer).exists()


def test_a_token_without_the_officer_scope_needs_no_code(world, session_for):
    officer = world.officer("leader")
    client = session_for(officer, "password_only", enforce_csrf_checks=True)
    _form(client)
    response = _mint(client, officer, code=None, scopes=["dossiers:read"], days="30")
    assert response.status_code == 200
    token = ApiToken.objects.get(user=officer)
    assert token.scopes == ["dossiers:read"]
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)


def test_an_officer_token_lives_90_days_at_most():
    officer = Team(DossierFactory().receiving_agency).leader
    with pytest.raises(ValidationError) as error:
        api_token_create(user=officer, name="x", scopes=["officer"], expires_in_days=91, by_operator=True)
    assert "từ 1 đến 90 ngày" in str(error.value)
    token, _raw = api_token_create(user=officer, name="x", scopes=["officer"], expires_in_days=7, by_operator=True)
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)


def test_a_citizen_gets_no_officer_token(client):
    citizen = UserFactory()
    with pytest.raises(ValidationError) as error:
        api_token_create(user=citizen, name="x", scopes=["officer"], by_operator=True)
    assert "Chỉ cán bộ" in str(error.value)


def test_an_expired_token_is_refused_with_a_clear_401(world):
    officer = world.officer("leader")
    token, raw = api_token_create(user=officer, name="x", scopes=["dossiers:read", "officer"], by_operator=True)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/officer/worklists/")
    assert response.status_code == 401
    assert "Mã truy cập đã hết hạn lúc" in response.json()["error"]["message"]
    download = APIClient().get(f"/files/documents/{world.document.stored_id}/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert download.status_code == 401 and "đã hết hạn" in download.json()["detail"]


def test_last_use_is_recorded_once_a_minute_and_shown(world, session_for, django_assert_max_num_queries):
    officer = world.officer("leader")
    token, raw = api_token_create(user=officer, name="x", scopes=["dossiers:read", "officer"], by_operator=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get("/api/v1/me/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # within the minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    api.get("/api/v1/me/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - dt.timedelta(minutes=1)
    page = session_for(officer, "verified").get(TOKENS).content.decode()
    assert timezone.localtime(ApiToken.objects.get(pk=token.pk).last_used_at).strftime("%d/%m/%Y %H:%M") in page


def test_the_operator_command_mints_an_expiring_officer_token(world):
    officer = world.officer("leader")
    out = StringIO()
    call_command("create_api_token", "--email", officer.email, stdout=out)
    token = ApiToken.objects.get(user=officer)
    assert set(token.scopes) == {"dossiers:read", "dossiers:write", "officer", "webhooks"}
    assert token.expires_at - timezone.now() <= dt.timedelta(days=90)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    assert api.get("/api/v1/officer/worklists/").status_code == 200


# --- the officer's rows need the officer scope, whatever other scopes -----------------------------


def _act(user, dossier, body: dict, *, officer_scope: bool):
    scopes = ["dossiers:read", "dossiers:write", "webhooks"] + (["officer"] if officer_scope else [])
    _token, raw = api_token_create(user=user, name="x", scopes=scopes, by_operator=officer_scope)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post(f"/api/v1/dossiers/{dossier.code}/actions/", body, format="multipart")


def _steps():
    """Each officer row of the finding's walk: the state it starts from, who, what it is sent."""
    return [
        ("receive", lambda d, t: None, "reception", {"note": "Hồ sơ đầy đủ"}),
        ("assign", lambda d, t: _received(d, t), "head", {"assignee": None}),
        (
            "propose",
            lambda d, t: to_processing(d, t),
            "specialist",
            {"recommendation": "grant", "result_title": "Giấy xác nhận", "generate": "true"},
        ),
        ("approve", lambda d, t: to_pending(d, t), "leader", {"note": "Đồng ý"}),
    ]


def _received(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)


@pytest.mark.parametrize("step", range(4))
def test_a_write_token_without_the_officer_scope_performs_no_officer_row(step):
    name, setup, role, body = _steps()[step]
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    setup(dossier, team)
    if name == "assign":
        body = {"assignee": team.specialist.pk}
    before = Dossier.objects.get(pk=dossier.pk)
    user = getattr(team, role)
    refused = _act(user, dossier, {"action": name, **body}, officer_scope=False)
    assert refused.status_code in (403, 404)
    if refused.status_code == 403:
        assert "officer" in refused.json()["error"]["message"]
    after = Dossier.objects.get(pk=dossier.pk)
    assert (after.state, after.events_count) == (before.state, before.events_count)
    allowed = _act(user, dossier, {"action": name, **body}, officer_scope=True)
    assert allowed.status_code == 200, allowed.content
    assert DossierEvent.objects.filter(dossier=dossier, action=name, actor=user).count() == 1
    assert Dossier.objects.get(pk=dossier.pk).state != DossierState.SUBMITTED
