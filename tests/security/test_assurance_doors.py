"""Issue 21, LoA2 on every door: a procedure requiring VNeID level 2 (Decree 69/2024) is filed
only by a session at LoA2, whichever door the filing comes through — the wizard's page, the API
with that session, the API with a bearer token minted from it (the token keeps its session's
level). A lower session, a password session, or a token minted from one: 403 with a clear
message (and ``error.code`` ``assurance_required`` in the API), and nothing is created."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from dossiers.models import Dossier
from portal.models import ApiToken
from portal.vneid import SESSION_LOA
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DOORS = ("page", "api_session", "api_token")
LEVELS = ("password", "LoA1", "LoA2")
PROCEDURES = ("LoA1", "LoA2")  # a procedure open to any sign-in (VNeID LoA1 included), one requiring LoA2
ALLOWED = {("LoA1", level) for level in LEVELS} | {("LoA2", "LoA2")}


def _session(user, level: str) -> Client:
    client = Client()
    client.force_login(user)
    if level != "password":
        session = client.session
        session[SESSION_LOA] = level
        session.save()
    return client


def _token_from(client: Client) -> str:
    """A token minted on the account's page from ``client``'s session, as a citizen does."""
    client.get("/account/tokens/")
    response = client.post(
        "/account/tokens/", {"name": "Phần mềm kế toán", "scopes": ["dossiers:read", "dossiers:write"]}
    )
    assert response.status_code == 200
    return response.content.decode().split('id="new-token" class="user-select-all">')[1].split("<")[0]


def _file(door: str, client: Client, version, **headers):
    requirement = version.documents.get()
    body = {
        "procedure": version.procedure.code,
        f"documents[{requirement.pk}]": SimpleUploadedFile("to-khai.pdf", make_pdf(), "application/pdf"),
    }
    if door == "page":
        return client.post(f"/dossiers/new/{version.procedure.code}/", {"on_behalf_of": ""}, **headers)
    if door == "api_session":
        return client.post("/api/v1/dossiers/", body, **headers)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_token_from(client)}")
    return api.post("/api/v1/dossiers/", body, format="multipart", **headers)


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("door", DOORS)
def test_assurance_matrix(door, level, procedure):
    version = OnlineVersionFactory(required_assurance="LoA2" if procedure == "LoA2" else "", form_schema={"fields": []})
    user = UserFactory()
    client = _session(user, level)
    response = _file(door, client, version)
    if (procedure, level) in ALLOWED:
        assert response.status_code in (201, 302), response.content.decode()[:500]
        assert Dossier.objects.filter(applicant=user, procedure=version.procedure).count() == 1
        return
    assert response.status_code == 403
    assert not Dossier.objects.filter(procedure=version.procedure).exists()
    text = response.content.decode()
    if door == "page":
        assert "VNeID" in text and "mức độ 2" in text
        return
    error = response.json()["error"]
    assert error["code"] == "assurance_required"
    if door == "api_token":
        assert error["message"] == (
            "Thủ tục này yêu cầu đăng nhập bằng VNeID mức độ 2. Mã truy cập này được tạo từ một phiên đăng nhập "
            "chưa đạt mức đó: hãy đăng nhập bằng VNeID mức độ 2 rồi tạo mã truy cập mới."
        )
    else:
        assert error["message"] == (
            "Thủ tục này yêu cầu đăng nhập bằng VNeID mức độ 2. Phiên đăng nhập hiện tại chưa đạt mức đó: "
            "hãy đăng nhập lại bằng VNeID mức độ 2."
        )


@pytest.mark.parametrize("level", LEVELS)
def test_a_token_keeps_the_level_of_the_session_it_was_minted_from(level):
    user = UserFactory()
    _token_from(_session(user, level))
    assert ApiToken.objects.get(user=user).assurance == ("" if level == "password" else level)


def test_a_token_from_a_loa1_session_stays_loa1_when_sent_with_a_loa2_session():
    """The token's own level counts, never the session's that happens to come along."""
    user = UserFactory()
    raw = _token_from(_session(user, "LoA1"))
    version = OnlineVersionFactory(required_assurance="LoA2", form_schema={"fields": []})
    client = _session(user, "LoA2")
    requirement = version.documents.get()
    response = client.post(
        "/api/v1/dossiers/",
        {
            "procedure": version.procedure.code,
            f"documents[{requirement.pk}]": SimpleUploadedFile("a.pdf", make_pdf(), "application/pdf"),
        },
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "assurance_required"


def test_the_refusal_is_in_english_on_request():
    user = UserFactory()
    version = OnlineVersionFactory(required_assurance="LoA2", form_schema={"fields": []})
    response = _file("api_token", _session(user, "LoA1"), version, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("This procedure requires signing in with VNeID level 2.")


def test_the_tokens_page_shows_each_tokens_level():
    user = UserFactory()
    client = _session(user, "LoA2")
    _token_from(client)
    page = client.get("/account/tokens/").content.decode()
    assert '<td class="token-assurance">VNeID LoA2</td>' in page
