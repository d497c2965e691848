"""API bearer tokens: created from the account page and the CLI, hashed, revocable, expiring."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import ApiToken
from portal.services import api_token_create, api_token_revoke
from tests.factories import OfficerMembershipFactory, OrganisationMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_account_page_shows_secret_once_and_stores_only_its_digest(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "Hệ thống kế toán", "scopes": ["dossiers:read"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["new_secret"]
    assert raw.startswith("dvc_") and raw in response.content.decode()

    token = ApiToken.objects.get(user=user)
    assert token.name == "Hệ thống kế toán"
    assert token.scopes == ["dossiers:read"]
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.key_hash, token.prefix} and raw.startswith(token.prefix)

    again = client.get("/account/tokens/")
    assert raw not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_token_form_errors_are_vietnamese(client):
    client.force_login(UserFactory())
    response = client.post("/account/tokens/", {"name": "", "scopes": ["bogus"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Trường này là bắt buộc." in body
    assert "không nằm trong" in body or "hợp lệ" in body
    assert not ApiToken.objects.exists()


def test_bearer_token_authenticates_me_and_records_last_use():
    user = UserFactory(full_name="Nguyễn Văn Gọi")
    membership = OrganisationMembershipFactory(user=user)
    token, raw = api_token_create(user=user, name="test")
    assert token.last_used_at is None

    response = bearer(raw).get(ME)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["email"] == user.email
    assert data["full_name"] == "Nguyễn Văn Gọi"
    assert data["is_officer"] is False
    assert data["organisations"] == [
        {
            "id": membership.organisation_id,
            "name": membership.organisation.name,
            "tax_code": membership.organisation.tax_code,
        }
    ]
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(seconds=10)


def test_last_used_is_refreshed_at_most_once_a_minute():
    token, raw = api_token_create(user=UserFactory(), name="test")
    old = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    assert bearer(raw).get(ME).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > old
    recent = token.last_used_at
    assert bearer(raw).get(ME).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent


@pytest.mark.parametrize("state", ["revoked", "expired", "garbage", "unknown", "inactive_user", "malformed_header"])
def test_bad_tokens_get_401_with_a_message(state):
    user = UserFactory()
    token, raw = api_token_create(user=user, name="test")
    header = f"Bearer {raw}"
    if state == "revoked":
        api_token_revoke(user=user, token_id=token.pk)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "garbage":
        header = "Bearer ~~~not-a-token~~~"
    elif state == "unknown":
        header = "Bearer dvc_" + "x" * 43
    elif state == "inactive_user":
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif state == "malformed_header":
        header = f"Bearer {raw} extra"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    detail = response.json()["detail"]
    assert ("đã hết hạn lúc" if state == "expired" else "không hợp lệ") in detail


def test_no_credentials_is_401():
    response = APIClient().get(ME)
    assert response.status_code == 401


def test_session_authentication_also_works(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(ME).json()["email"] == user.email


def test_revoke_from_account_page(client):
    user = UserFactory()
    token, raw = api_token_create(user=user, name="cũ")
    client.force_login(user)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(raw).get(ME).status_code == 401


def test_cannot_revoke_someone_elses_token(client):
    token, raw = api_token_create(user=UserFactory(), name="của người khác")
    client.force_login(UserFactory())
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post("/account/tokens/999999/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(raw).get(ME).status_code == 200


def test_create_api_token_command_prints_a_working_token():
    user = UserFactory()
    out = StringIO()
    call_command("create_api_token", "--email", user.email.upper(), stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("dvc_")
    assert bearer(raw).get(ME).json()["email"] == user.email
    assert ApiToken.objects.get(user=user).name == "CLI"


def test_create_api_token_command_unknown_email():
    with pytest.raises(CommandError, match="Không có người dùng"):
        call_command("create_api_token", "--email", "nobody@example.vn", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_me_lists_an_officers_roles(django_assert_max_num_queries):
    membership = OfficerMembershipFactory(role="leader")
    _token, raw = api_token_create(
        user=membership.user, name="test", scopes=["dossiers:read", "officer"], by_operator=True
    )
    with django_assert_max_num_queries(6):
        data = bearer(raw).get(ME).json()
    assert data["is_officer"] is True
    assert data["officer_memberships"] == [
        {"agency_code": membership.agency.code, "agency_name": membership.agency.name, "role": "leader"}
    ]
