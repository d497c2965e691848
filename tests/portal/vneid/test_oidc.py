"""VNeID sign-in against the certified OpenID Provider (oidc-provider, started by the fixture):
the authorization request, the first sign-in, the level of assurance, sign-out, and every
refused answer — a clear Vietnamese message and no session."""

import datetime
import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model

from portal.models import CitizenProfile
from portal.vneid import SESSION_LOA
from tests.portal.vneid.helpers import USERS, provider_sign_in, public_jwk, rsa_key

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/oidc/vneid/login/"
AN, BINH = "001203004567", "079190001234"


def authorize_url(client, **params) -> str:
    response = client.post(LOGIN, params)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def callback_path(url: str) -> str:
    return url.removeprefix("http://testserver")


def sign_in(client, login=BINH, **params):
    url = provider_sign_in(
        authorize_url(client, **params), login=login, password=USERS[login]["password"], until="http://testserver/"
    )
    return client.get(callback_path(url))


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_refused(response, text: str, client) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="vneid-error"' in page
    assert text in page
    assert not signed_in(client)
    assert not SocialAccount.objects.exists()


def test_authorization_request_carries_pkce_state_nonce_and_the_configured_level(client, vneid, settings):
    settings.VNEID_ACR_VALUES = "LoA2"
    query = parse_qs(urlsplit(authorize_url(client)).query)
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) >= {"openid", "profile"}
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 16
    assert len(query["nonce"][0]) >= 32
    assert query["acr_values"] == ["LoA2"]
    # Two requests never share a nonce or a state.
    again = parse_qs(urlsplit(authorize_url(client)).query)
    assert again["nonce"] != query["nonce"] and again["state"] != query["state"]


def test_first_sign_in_creates_the_account_and_fills_the_profile_from_vneid(client, vneid):
    response = sign_in(client, BINH)
    assert response.status_code == 302
    assert signed_in(client)
    user = get_user_model().objects.get(email="binh.vneid@example.test")
    profile = CitizenProfile.objects.get(user=user)
    assert profile.citizen_id == BINH
    assert profile.full_name == "Trần Thị Bình" == user.full_name
    assert profile.date_of_birth == datetime.date(1990, 2, 3)
    assert profile.sex == "female"
    assert set(profile.identity_fields) == {"citizen_id", "full_name", "date_of_birth", "sex"}
    assert SocialAccount.objects.get(user=user).uid == "vneid-sub-binh"
    assert client.session[SESSION_LOA] == "LoA1"
    # The code was exchanged with its PKCE verifier and our client's credentials.
    token_request = parse_qs(vneid.seen_token_requests[-1].decode())
    assert token_request["code_verifier"] and token_request["client_id"] == ["portal-test"]


def test_without_an_email_claim_the_person_gives_an_address_before_the_account_is_made(client, vneid):
    response = sign_in(client, AN)
    assert response.status_code == 302 and response["Location"] == "/accounts/3rdparty/signup/"
    assert not signed_in(client)
    response = client.post("/accounts/3rdparty/signup/", {"email": "an@example.test"})
    assert response.status_code == 302
    assert signed_in(client)
    profile = CitizenProfile.objects.get(user__email="an@example.test")
    assert (profile.citizen_id, profile.full_name, profile.sex) == (AN, "Nguyễn Văn An", "male")
    assert profile.permanent_address.startswith("12 Lê Lợi")


def test_the_session_keeps_the_level_reached(client, vneid):
    sign_in(client, AN, acr="LoA2")
    client.post("/accounts/3rdparty/signup/", {"email": "an@example.test"})
    assert client.session[SESSION_LOA] == "LoA2"
    # A person who holds only LoA1 gets LoA1, whatever was asked.
    client.logout()
    sign_in(client, BINH, acr="LoA2")
    assert client.session[SESSION_LOA] == "LoA1"


def test_a_second_sign_in_is_the_same_account(client, vneid):
    sign_in(client, BINH)
    client.logout()
    response = sign_in(client, BINH)
    assert response.status_code == 302 and signed_in(client)
    assert get_user_model().objects.count() == 1


def test_sign_out_also_ends_the_vneid_session(client, vneid):
    sign_in(client, BINH)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(vneid.issuer + "/session/end")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["portal-test"]
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert not signed_in(client)


def test_sign_out_of_a_password_session_stays_on_the_portal(client, vneid, user):
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/"


def test_the_button_shows_only_when_an_issuer_is_configured(client, vneid, settings):
    assert 'id="vneid-login"' in client.get("/accounts/login/").content.decode()
    settings.VNEID_OIDC_ISSUER = ""
    assert 'id="vneid-login"' not in client.get("/accounts/login/").content.decode()
    assert client.post(LOGIN).status_code == 404


# --- refused answers ---------------------------------------------------------------------


def test_a_wrong_state_is_refused(client, vneid):
    url = provider_sign_in(
        authorize_url(client), login=BINH, password=USERS[BINH]["password"], until="http://testserver/"
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "forged-state-value"}
    response = client.get(callback_path(urlunsplit(parts._replace(query=urlencode(query)))))
    assert_refused(response, "tham số state không khớp", client)


def test_a_replayed_code_is_refused(client, vneid):
    first = provider_sign_in(
        authorize_url(client), login=BINH, password=USERS[BINH]["password"], until="http://testserver/"
    )
    assert client.get(callback_path(first)).status_code == 302
    client.logout()
    SocialAccount.objects.all().delete()
    get_user_model().objects.all().delete()
    # A new request of ours (a fresh state), answered with the code already used.
    fresh_state = parse_qs(urlsplit(authorize_url(client)).query)["state"][0]
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    response = client.get("/accounts/oidc/vneid/login/callback/?" + urlencode({"code": old_code, "state": fresh_state}))
    assert_refused(response, "đã dùng hoặc đã hết hạn", client)


def test_a_nonce_mismatch_is_refused(client, vneid):
    parts = urlsplit(authorize_url(client))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"nonce": "a-nonce-of-another-request-0123456789"}
    url = provider_sign_in(
        urlunsplit(parts._replace(query=urlencode(query))),
        login=BINH,
        password=USERS[BINH]["password"],
        until="http://testserver/",
    )
    assert_refused(client.get(callback_path(url)), "nonce không khớp", client)


def _tampered(claims_change=None, header_change=None, key=None):
    def tamper(header, claims, provider_key):
        return {**header, **(header_change or {})}, {**claims, **(claims_change or {})}, key or provider_key

    return tamper


@pytest.mark.parametrize(
    ("tamper", "text"),
    [
        (_tampered({"iss": "http://127.0.0.1:1/another-issuer"}), "không do máy chủ VNeID đã cấu hình phát hành"),
        (_tampered({"aud": "another-client"}), "không được cấp cho Cổng dịch vụ công này"),
        (_tampered({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}), "đã hết hạn"),
        (_tampered(header_change={"alg": "none"}), "thuật toán không được chấp nhận"),
        (_tampered(header_change={"alg": "HS256"}, key=b"portal-test-client-secret-as-a-key"), "thuật toán"),
        (_tampered(header_change={"kid": "unknown-key"}, key=rsa_key()), "khóa không có trong danh sách khóa"),
        (_tampered(key=rsa_key()), "Chữ ký của thẻ định danh"),
    ],
    ids=["issuer", "audience", "expired", "alg-none", "alg-hs256", "unknown-kid", "bad-signature"],
)
def test_a_tampered_id_token_is_refused(client, vneid, tamper, text):
    vneid.tamper = tamper
    assert_refused(sign_in(client, BINH), text, client)


def test_keys_rotated_by_the_provider_are_fetched_again(client, vneid):
    sign_in(client, BINH)  # the key set is now cached
    client.logout()
    new_key = rsa_key()
    vneid.extra_keys = [public_jwk(new_key, "test-key-2")]
    vneid.tamper = _tampered(header_change={"kid": "test-key-2"}, key=new_key)
    try:
        response = sign_in(client, BINH)
    finally:
        vneid.extra_keys = []
    assert response.status_code == 302 and signed_in(client)


def test_an_unreachable_provider_is_a_message(client, vneid, settings):
    settings.VNEID_OIDC_ISSUER = "http://127.0.0.1:9"
    response = client.post(LOGIN)
    assert response.status_code == 400
    assert "Không kết nối được với VNeID" in response.content.decode()
    assert not signed_in(client)


def test_messages_in_english_too(client, vneid):
    vneid.tamper = _tampered({"aud": "another-client"})
    url = provider_sign_in(
        authorize_url(client), login=BINH, password=USERS[BINH]["password"], until="http://testserver/"
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(callback_path(url))
    assert response.status_code == 400
    assert "was not issued to this public-service portal" in response.content.decode()
