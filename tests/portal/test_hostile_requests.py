"""Requests that used to end in a 500: each now a clear 4xx in Vietnamese (English with
Accept-Language: en), and nothing written. NUL bytes, oversized and chunked bodies, too many
file parts, JSON nested thousands deep, DRF's and Django's stock messages, CRLF in an
organisation's name, dossier codes outside the issued pattern."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from dossiers.models import Dossier, DossierDocument, StoredDocument
from portal.constants import OfficerRole, OrganisationRole
from portal.models import Organisation, OrganisationInvitation
from portal.upload_policy import RequestBodyLimitMiddleware
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory, make_pdf
from tests.dossiers.helpers import api_for, page_client
from tests.factories import (
    AgencyFactory,
    OfficerMembershipFactory,
    OrganisationMembershipFactory,
    UserFactory,
    with_totp,
)

pytestmark = pytest.mark.django_db


def _counts():
    return Dossier.objects.count(), DossierDocument.objects.count(), StoredDocument.objects.count()


def _api_message(response) -> str:
    return response.json()["error"]["message"]


# --- NUL bytes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/procedures/?agency=%00",
        "/procedures/?q=%00",
        "/procedures/?field=a%00b",
        "/procedures/?%00=1",
        "/track/?code=%00",
        "/dossiers/?status=%00",
        "/officer/register/?q=%00",
        "/divisions/communes/?permanent_province=%00",
    ],
)
def test_a_nul_in_any_query_filter_is_a_clear_400(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 400
    assert "ký tự NUL" in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages: the visitor's choice, not the header
    english = client.get(url)
    assert english.status_code == 400 and "NUL character" in english.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/procedures/?agency=%00", "/api/v1/dossiers/?status=%00"])
def test_a_nul_in_an_api_filter_is_a_400_in_the_api_format(url):
    api = api_for(UserFactory())
    response = api.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "ký tự NUL" in _api_message(response)
    assert "NUL character" in _api_message(api.get(url, HTTP_ACCEPT_LANGUAGE="en"))


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_saved(client):
    client.force_login(UserFactory())
    response = client.post("/organisations/new/", {"name": "Công ty\x00", "tax_code": "0301234562"})
    assert response.status_code == 400
    assert "ký tự NUL" in response.content.decode()
    assert not Organisation.objects.exists()


def test_a_nul_in_a_dossier_code_of_the_path_is_not_found(client):
    client.force_login(UserFactory())
    assert client.get("/dossiers/%00/").status_code == 404
    assert client.get("/officer/dossiers/X-%00/").status_code == 404


# --- request bodies ---------------------------------------------------------------------------


class _Watched(io.BytesIO):
    """A request body that records how much of it was read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    readline = None  # a parser would have to use read()


def _reading_view(request):
    return HttpResponse(f"{len(request.body)}")


def test_a_declared_oversized_body_is_413_before_a_byte_is_read(settings):
    settings.REQUEST_BODY_MAX_SIZE = 1024 * 1024
    body = _Watched(b"x" * (2 * 1024 * 1024))
    request = RequestFactory().post(
        "/api/v1/dossiers/", data=b"", content_type="application/octet-stream", CONTENT_LENGTH=str(120 * 1024 * 1024)
    )
    request.environ["wsgi.input"] = body
    request._stream = body
    response = RequestBodyLimitMiddleware(_reading_view)(request)
    assert response.status_code == 413
    assert body.taken == 0
    message = json.loads(response.content)["error"]["message"]
    assert message == "Dữ liệu gửi lên (120 MB) vượt quá giới hạn 1 MB cho mỗi lần gửi."


def test_a_chunked_body_is_counted_as_it_streams_and_stopped_past_the_limit(settings):
    settings.REQUEST_BODY_MAX_SIZE = 1024 * 1024
    body = _Watched(b"x" * (8 * 1024 * 1024))
    request = RequestFactory().post("/dossiers/new/x/", data=b"", content_type="application/octet-stream")
    request.environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META.pop("CONTENT_LENGTH", None)
    response = RequestBodyLimitMiddleware(_reading_view)(request)
    assert response.status_code == 413
    assert body.taken == 1024 * 1024 + 1
    assert "vượt quá giới hạn 1 MB" in response.content.decode()


def test_a_chunked_body_under_the_limit_reaches_the_view_whole(settings):
    settings.REQUEST_BODY_MAX_SIZE = 1024 * 1024
    request = RequestFactory().post("/dossiers/new/x/", data=b"", content_type="application/octet-stream")
    request.environ.update({"wsgi.input": io.BytesIO(b"y" * 5000), "wsgi.input_terminated": True})
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META.pop("CONTENT_LENGTH", None)
    response = RequestBodyLimitMiddleware(_reading_view)(request)
    assert response.status_code == 200 and response.content == b"5000"


def test_the_413_is_answered_through_the_whole_stack_in_english_too(client, settings):
    settings.REQUEST_BODY_MAX_SIZE = 1000
    client.force_login(UserFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/organisations/new/", {"name": "x" * 5000})
    assert response.status_code == 413
    assert re.fullmatch(r"The data sent \(\d KB\) is over the 1000 B limit per submission\.", response.content.decode())
    assert not Organisation.objects.exists()


# --- too many file parts ----------------------------------------------------------------------


def test_more_than_100_file_parts_in_the_api_is_a_clear_400():
    version = OnlineVersionFactory()
    api = api_for(UserFactory())
    parts = {f"documents[{i}]": SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4") for i in range(101)}
    before = _counts()
    for language, words in (("vi", "Quá nhiều tệp"), ("en", "Too many files")):
        response = api.post(
            "/api/v1/dossiers/",
            {"procedure": version.procedure.code, **parts},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_many_files"
        assert words in _api_message(response) and "100" in _api_message(response)
    assert _counts() == before


def test_more_than_100_file_parts_in_the_wizard_is_a_clear_400(client):
    version = OnlineVersionFactory()
    draft = DossierFactory(draft=True, procedure_version=version)
    client.force_login(draft.applicant)
    parts = {f"documents[{i}]": SimpleUploadedFile(f"{i}.pdf", make_pdf()) for i in range(101)}
    before = _counts()
    response = client.post(reverse("dossiers:draft_documents", args=[draft.pk]), parts)
    assert response.status_code == 400
    assert "Quá nhiều tệp" in response.content.decode()
    assert _counts() == before


# --- JSON -------------------------------------------------------------------------------------


def _post_json(api, body: str, language: str = "vi"):
    return api.generic(
        "POST", "/api/v1/dossiers/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_json_nested_deep_is_a_clear_400(depth):
    api = api_for(UserFactory())
    body = '{"procedure": "1.1", "data": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    before = _counts()
    response = _post_json(api, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert "lồng nhau quá sâu" in _api_message(response)
    assert "nested too deep" in _api_message(_post_json(api, body, "en"))
    assert _counts() == before


def test_json_that_does_not_parse_says_where_in_both_languages():
    api = api_for(UserFactory())
    response = _post_json(api, '{"procedure": "1.1",\n "data": }')
    assert response.status_code == 400
    assert _api_message(response) == "Nội dung JSON không đúng cú pháp (dòng 2, cột 10)."
    assert _api_message(_post_json(api, '{"a": }', "en")) == "The JSON body is not valid (line 1, column 7)."
    assert "JSON parse error" not in _api_message(_post_json(api, "[1, 2"))


def test_drf_field_messages_are_vietnamese():
    api = api_for(UserFactory())
    response = _post_json(api, '{"procedure": null}')
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["procedure"] == ["Trường này không được để trống (null)."]
    english = _post_json(api, '{"procedure": null}', "en")
    assert english.json()["error"]["fields"]["procedure"] == ["This field may not be null."]


def test_csrf_failure_of_a_session_call_is_worded_in_vietnamese():
    user = UserFactory()
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    before = _counts()
    response = api.post("/api/v1/dossiers/", {"procedure": "1.1"}, format="json")
    assert response.status_code == 403
    assert "chống giả mạo (CSRF)" in _api_message(response)
    assert "CSRF Failed" not in json.dumps(response.json())
    english = api.post("/api/v1/dossiers/", {"procedure": "1.1"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "CSRF" in _api_message(english) and "Reload the page" in _api_message(english)
    assert _counts() == before


def test_a_page_past_the_end_names_the_page():
    api = api_for(UserFactory())
    response = api.get("/api/v1/dossiers/?page=999")
    assert response.status_code == 404
    assert _api_message(response) == "Trang “999” không tồn tại hoặc không hợp lệ."
    english = api.get("/api/v1/dossiers/?page=999", HTTP_ACCEPT_LANGUAGE="en")
    assert _api_message(english) == "Page “999” does not exist or is not valid."


# --- an organisation's name with CR/LF --------------------------------------------------------


def test_an_invitation_is_sent_whatever_the_organisation_is_called(client, django_capture_on_commit_callbacks):
    owner = UserFactory()
    membership = OrganisationMembershipFactory(user=owner, role=OrganisationRole.OWNER)
    organisation = membership.organisation
    organisation.name = "Công ty A\r\nBcc: ke-gian@example.com\r\n"
    organisation.save(update_fields=["name"])
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/organisations/{organisation.pk}/", {"email": "moi@example.vn", "role": "member"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Lời mời tham gia tổ chức Công ty A Bcc: ke-gian@example.com"
    assert message.to == ["moi@example.vn"] and not message.bcc
    assert OrganisationInvitation.objects.count() == 1
    # Another address can be invited straight after: nothing was left half-done.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/organisations/{organisation.pk}/", {"email": "hai@example.vn", "role": "member"})
    assert again.status_code == 302 and len(mail.outbox) == 2


# --- dossier codes outside the issued pattern -------------------------------------------------

ODD_CODES = ["000.00.99.T99-261123-B0000733", "H48-IMPORT-7", "KHONGGACH"]


def test_my_dossiers_lists_and_links_every_stored_code(client, django_assert_max_num_queries):
    user = UserFactory()
    for code in ODD_CODES:
        DossierFactory(applicant=user, code=code)
    client.force_login(user)
    with django_assert_max_num_queries(25):
        response = client.get("/dossiers/")
    assert response.status_code == 200
    page = response.content.decode()
    for code in ODD_CODES:
        assert f'href="/dossiers/{code}/"' in page
    assert client.get(f"/dossiers/{ODD_CODES[0]}/").status_code == 200
    assert client.get("/dossiers/store/").status_code == 200  # the words of other pages still route there


def test_the_register_lists_every_stored_code(client, django_assert_max_num_queries):
    agency = AgencyFactory()
    officer = with_totp(OfficerMembershipFactory(agency=agency, role=OfficerRole.RECEPTION).user)
    for code in ODD_CODES:
        DossierFactory(code=code, receiving_agency=agency, received=True)
    page_client(client, officer)
    with django_assert_max_num_queries(30):
        response = client.get("/officer/register/")
    assert response.status_code == 200
    page = response.content.decode()
    for code in ODD_CODES:
        assert code in page
    assert 'href="/dossiers/000.00.99.T99-261123-B0000733/"' in page
