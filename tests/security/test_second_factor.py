"""Issue 17, the second factor: no officer capability without a session verified with TOTP
lately, or a token with the ``officer`` scope — whichever door.

The finding: an officer signed in with a password alone (no TOTP) read dossiers with their
personal data through the API, acted on them, downloaded their files and opened their pages.
The matrix crosses the doors (page, API with the session, API with a token, file download)
with the officer's session (verified, no TOTP, TOTP never passed in this session, passed too
long ago) and the token's scope; citizens are unaffected.
"""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client
from rest_framework.test import APIClient

from dossiers.constants import DossierState
from dossiers.models import Dossier, DossierEvent
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

SESSION_STATES = ("verified", "no_totp", "password_only", "stale")
ACTIVATE = "/accounts/2fa/totp/activate/"
REAUTHENTICATE = "/accounts/2fa/reauthenticate/"


def _session_read_doors(world) -> dict[str, tuple[str, str]]:
    """door → (kind, URL): kind "page" redirects to the second factor, "api" answers 403."""
    code = world.dossier.code
    return {
        "dossier page": ("page", f"/dossiers/{code}/"),
        "officer page": ("page", f"/officer/dossiers/{code}/"),
        "statistics page": ("page", "/officer/stats/"),
        "document download": ("page", f"/files/documents/{world.document.stored_id}/"),
        "slip download": ("page", f"/files/slips/{world.slip.pk}/"),
        "dossier API": ("api", f"/api/v1/dossiers/{code}/"),
        "officer API": ("api", "/api/v1/officer/worklists/"),
    }


def _refused_as(state: str) -> str:
    return ACTIVATE if state == "no_totp" else REAUTHENTICATE


@pytest.mark.parametrize("state", SESSION_STATES)
def test_session_doors_open_only_to_a_verified_second_factor(world, session_for, state):
    leader = world.officer("leader")
    client = session_for(leader, state)
    for door, (kind, url) in _session_read_doors(world).items():
        response = client.get(url)
        if state == "verified":
            assert response.status_code == 200, (door, response.status_code)
        elif kind == "page":
            assert response.status_code == 302, door
            assert response["Location"].startswith(_refused_as(state)), (door, response["Location"])
        else:
            assert response.status_code == 403, door
            body = response.json()
            assert body["error"]["code"] == "second_factor_required", door
            assert "xác thực hai lớp" in body["error"]["message"]
            assert world.dossier.applicant_name not in response.content.decode()


@pytest.mark.parametrize("officer_scope", [True, False])
def test_token_doors_open_only_to_the_officer_scope(world, token_for, officer_scope):
    leader = world.officer("leader")
    raw, api = token_for(leader, officer=officer_scope)
    code = world.dossier.code
    detail = api.get(f"/api/v1/dossiers/{code}/")
    worklists = api.get("/api/v1/officer/worklists/")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    document = APIClient().get(f"/files/documents/{world.document.stored_id}/", **bearer)
    slip = APIClient().get(f"/files/slips/{world.slip.pk}/", **bearer)
    if officer_scope:
        assert detail.status_code == 200
        assert detail.json()["code"] == code
        assert world.dossier.applicant_name in detail.content.decode()  # the personal data an officer reads
        assert worklists.status_code == 200
        assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF-")
        assert slip.status_code == 200
    else:
        # Without the scope the token's officer is no officer at all: nothing of the agency's.
        assert detail.status_code == 404
        assert worklists.status_code == 403
        assert "officer" in worklists.json()["error"]["message"]
        assert document.status_code == 404 and slip.status_code == 404


def _receive_through_the_api_with_session(client, csrf: str, world):
    return client.post(
        f"/api/v1/dossiers/{world.dossier.code}/actions/",
        {"action": "receive", "note": "Hồ sơ đầy đủ"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )


@pytest.mark.parametrize("state", SESSION_STATES)
def test_acting_through_the_api_with_a_session_needs_the_second_factor(world, session_for, csrf_token, state):
    reception = world.officer("reception")
    client = session_for(reception, state, client_class=APIClient, enforce_csrf_checks=True)
    response = _receive_through_the_api_with_session(client, csrf_token(client), world)
    dossier = Dossier.objects.get(pk=world.dossier.pk)
    if state == "verified":
        assert response.status_code == 200, response.content
        assert dossier.state == DossierState.RECEIVED
        assert DossierEvent.objects.filter(dossier=dossier, action="receive", actor=reception).count() == 1
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "second_factor_required"
        assert dossier.state == DossierState.SUBMITTED
        assert not DossierEvent.objects.filter(dossier=dossier, action="receive").exists()


@pytest.mark.parametrize("state", ["no_totp", "password_only", "stale"])
def test_acting_through_the_officer_page_needs_the_second_factor(world, session_for, state):
    reception = world.officer("reception")
    client = session_for(reception, state, enforce_csrf_checks=True)
    # The page's own form cannot even be fetched; a post (CSRF token from a page of the account) is refused.
    token = client.get("/account/tokens/") and client.cookies["csrftoken"].value
    response = client.post(
        f"/officer/dossiers/{world.dossier.code}/actions/receive/",
        {"note": "Hồ sơ đầy đủ", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"].startswith(_refused_as(state))
    assert Dossier.objects.get(pk=world.dossier.pk).state == DossierState.SUBMITTED


def test_the_officer_passes_the_code_and_gets_back_to_work(world, session_for):
    """Through the real door: the officer page asks for the code, the code brings the officer back."""
    reception = world.officer("reception")
    client = session_for(reception, "stale", enforce_csrf_checks=True)
    page = f"/officer/dossiers/{world.dossier.code}/"
    redirect = client.get(page)
    assert redirect["Location"] == f"{REAUTHENTICATE}?next=%2Fofficer%2Fdossiers%2F{world.dossier.code}%2F"
    form = client.get(redirect["Location"])
    assert form.status_code == 200
    wrong = client.post(
        redirect["Location"], {"code": "000000", "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    assert wrong.status_code == 200 and client.get(page).status_code == 302
    right = client.post(
        redirect["Location"], {"code": totp_code(reception), "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    assert right.status_code == 302 and right["Location"] == page
    assert client.get(page).status_code == 200


def test_citizens_are_unaffected(world, session_for, token_for):
    applicant = world.dossier.applicant
    client = session_for(applicant, "no_totp")
    assert client.get(f"/dossiers/{world.dossier.code}/").status_code == 200
    assert client.get(f"/api/v1/dossiers/{world.dossier.code}/").status_code == 200
    assert client.get(f"/files/documents/{world.document.stored_id}/").status_code == 200
    raw, api = token_for(applicant, officer=False)
    assert api.get(f"/api/v1/dossiers/{world.dossier.code}/").status_code == 200
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert APIClient().get(f"/files/slips/{world.slip.pk}/", **bearer).status_code == 200


def test_removing_the_authenticator_ends_the_verification(world, session_for):
    leader = world.officer("leader")
    client = session_for(leader, "verified")
    assert client.get("/api/v1/officer/worklists/").status_code == 200
    Authenticator.objects.filter(user=leader).delete()
    assert client.get("/api/v1/officer/worklists/").status_code == 403
    assert client.get("/officer/").status_code == 302


def test_the_menu_still_shows_the_way_to_the_officer_pages(world, session_for):
    client = session_for(world.officer("leader"), "password_only")
    assert 'href="/officer/"' in client.get("/").content.decode()


def test_setting_up_totp_counts_as_passing_it(world, django_capture_on_commit_callbacks):
    """The finding's officer (no TOTP) is sent to set it up; the code that activates it opens
    the officer's doors at once, without a second sign-in."""
    reception = world.officer("reception")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    csrf = client.cookies["csrftoken"].value
    signed_in = client.post(
        "/accounts/login/", {"login": reception.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    assert signed_in.status_code == 302
    assert client.get("/officer/")["Location"] == ACTIVATE
    # allauth asks for the password before any change to the second factor (the sign-in rotated the CSRF token).
    client.get("/account/tokens/")
    csrf = client.cookies["csrftoken"].value
    reauth = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "csrfmiddlewaretoken": csrf})
    assert reauth.status_code == 302
    form = client.get(ACTIVATE)
    secret = form.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    with django_capture_on_commit_callbacks(execute=True):  # allauth says so once the device is committed
        activated = client.post(ACTIVATE, {"code": code, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=reception, type=Authenticator.Type.TOTP).exists()
    assert client.get(f"/officer/dossiers/{world.dossier.code}/").status_code == 200
    assert client.get(f"/api/v1/dossiers/{world.dossier.code}/").status_code == 200
