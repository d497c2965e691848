"""The sandbox VNeID (dev's provider, served by the portal itself) with the portal's own client:
the same code that the certified provider's tests run, end to end over HTTP."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from portal.models import CitizenProfile
from portal.vneid import SESSION_LOA

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server, settings):
    settings.VNEID_OIDC_ISSUER = f"{live_server.url}/sandbox-vneid"
    settings.VNEID_CLIENT_ID = "portal-sandbox"
    settings.VNEID_CLIENT_SECRET = "sandbox-secret-for-tests"  # noqa: S105
    settings.VNEID_SANDBOX = True
    settings.SITE_URL = "http://testserver"
    return settings.VNEID_OIDC_ISSUER


def _pick(authorize_url: str, identity: str) -> str:
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200
    assert "MÁY CHỦ THỬ NGHIỆM" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    answer = browser.post(
        authorize_url,
        data={**fields, "identity": identity},
        allow_redirects=False,
        timeout=10,
        headers={"Referer": authorize_url},
    )
    assert answer.status_code == 302, answer.text[:300]
    return urljoin(authorize_url, answer.headers["Location"])


def test_sign_in_through_the_sandbox_with_the_portal_client(client, sandbox):
    page = client.get("/accounts/login/").content.decode()
    assert 'id="vneid-sandbox-note"' in page
    start = client.post("/accounts/oidc/vneid/login/", {"acr": "LoA2"})
    callback = _pick(start["Location"], "sandbox-an")
    response = client.get(callback.removeprefix("http://testserver"))
    assert response.status_code == 302
    assert client.session[SESSION_LOA] == "LoA2"
    profile = CitizenProfile.objects.get(user__email="an.vneid@example.vn")
    assert profile.citizen_id == "001203004567" and "citizen_id" in profile.identity_fields
    # Sign-out goes through the sandbox's end-session endpoint and back home.
    logout = client.post("/accounts/logout/")
    assert logout["Location"].startswith(sandbox + "/session/end?")
    assert (
        requests.get(logout["Location"], allow_redirects=False, timeout=10).headers["Location"] == "http://testserver/"
    )


def test_the_sandbox_token_endpoint_refuses_a_replayed_code_and_a_wrong_verifier(client, sandbox):
    start = client.post("/accounts/oidc/vneid/login/")
    callback = _pick(start["Location"], "sandbox-binh")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    redirect_uri = parse_qs(urlsplit(start["Location"]).query)["redirect_uri"][0]
    base = {"grant_type": "authorization_code", "client_id": "portal-sandbox", "redirect_uri": redirect_uri}
    wrong = requests.post(
        f"{sandbox}/token",
        data={**base, "client_secret": "sandbox-secret-for-tests", "code": code, "code_verifier": "x" * 50},
        timeout=10,
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The code was spent by that attempt: the portal's own exchange is refused too.
    response = client.get(callback.removeprefix("http://testserver"))
    assert response.status_code == 400
    assert "đã dùng hoặc đã hết hạn" in response.content.decode()
    assert "_auth_user_id" not in client.session
