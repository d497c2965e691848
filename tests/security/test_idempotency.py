"""Issue 17, idempotency: the same Idempotency-Key with other content answers 422 on every
creating endpoint alike (it used to return the earlier dossier on POST /api/v1/dossiers/, and 409
elsewhere); the same key with the same content answers as the first time, and nothing is done
twice."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import get_resolver

from dossiers.api.filing import DossierCollectionView
from dossiers.models import Dossier
from portal.models import WebhookSubscription
from tests.api.conftest import client_for
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.dossiers.helpers import api_for
from tests.factories import UserFactory
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db

DOSSIERS = "/api/v1/dossiers/"
WEBHOOKS = "/api/v1/webhooks/"
REUSED_VI = "Idempotency-Key này đã được dùng cho một yêu cầu có nội dung khác."
REUSED_EN = "This Idempotency-Key was already used for a request with other content."


@pytest.fixture
def version(db):
    version = OnlineVersionFactory()
    DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True, order=2)
    return version


@pytest.fixture
def applicant(db):
    return UserFactory(full_name="Trần Thị Nộp")


def _filing(version, *, note="Gửi qua API", pages=1) -> dict:
    first, second = version.documents.order_by("order", "pk")
    return {
        "procedure": version.procedure.code,
        "data": json.dumps({"full_name": "Trần Thị Nộp", "note": note}),
        f"documents[{first.pk}]": SimpleUploadedFile("to-khai.pdf", make_pdf(pages), "application/pdf"),
        f"documents[{second.pk}]": SimpleUploadedFile("giay-chung-sinh.pdf", make_pdf(), "application/pdf"),
    }


def _assert_reused(response, language="vi"):
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["message"].startswith(REUSED_VI if language == "vi" else REUSED_EN)


def test_filing_with_a_reused_key_and_other_data_is_refused(applicant, version):
    api = api_for(applicant)
    first = api.post(DOSSIERS, _filing(version), format="multipart", HTTP_IDEMPOTENCY_KEY="nop-1")
    assert first.status_code == 201, first.json()
    # The finding: other answers under the same key came back 200 with the first dossier.
    other = api.post(DOSSIERS, _filing(version, note="Hồ sơ khác"), format="multipart", HTTP_IDEMPOTENCY_KEY="nop-1")
    _assert_reused(other)
    english = api.post(
        DOSSIERS,
        _filing(version, note="Hồ sơ khác"),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="nop-1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    _assert_reused(english, "en")
    assert "code" not in other.json()  # the earlier dossier is not handed out
    dossier = Dossier.objects.get()
    assert dossier.form_data["note"] == "Gửi qua API"


def test_filing_with_a_reused_key_and_another_file_is_refused(applicant, version):
    api = api_for(applicant)
    assert api.post(DOSSIERS, _filing(version), format="multipart", HTTP_IDEMPOTENCY_KEY="nop-2").status_code == 201
    # Same fields, same file names: only a file's content differs (its SHA-256 is in the fingerprint).
    _assert_reused(api.post(DOSSIERS, _filing(version, pages=2), format="multipart", HTTP_IDEMPOTENCY_KEY="nop-2"))
    assert Dossier.objects.count() == 1


def test_filing_retry_with_the_same_content_answers_the_first_dossier(applicant, version):
    api = api_for(applicant)
    first = api.post(DOSSIERS, _filing(version), format="multipart", HTTP_IDEMPOTENCY_KEY="nop-3")
    assert first.status_code == 201
    # A retry draws a new multipart boundary: the content, not the bytes on the wire, counts.
    body = encode_multipart("retry-boundary-7f3a", _filing(version))
    again = api.post(
        DOSSIERS, body, content_type="multipart/form-data; boundary=retry-boundary-7f3a", HTTP_IDEMPOTENCY_KEY="nop-3"
    )
    assert again.status_code == 200, again.json()
    assert again.json()["code"] == first.json()["code"]
    assert Dossier.objects.count() == 1


def test_filing_as_json_compares_the_content_not_its_spelling(applicant, version):
    version.documents.update(required=False)
    api = api_for(applicant)
    body = {"procedure": version.procedure.code, "data": {"full_name": "A B", "note": "một"}}
    first = api.post(DOSSIERS, body, format="json", HTTP_IDEMPOTENCY_KEY="nop-4")
    assert first.status_code == 201
    respelled = json.dumps({"data": {"note": "một", "full_name": "A B"}, "procedure": version.procedure.code}, indent=2)
    again = api.post(DOSSIERS, respelled, content_type="application/json", HTTP_IDEMPOTENCY_KEY="nop-4")
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    _assert_reused(
        api.post(DOSSIERS, {**body, "data": {"full_name": "C D"}}, format="json", HTTP_IDEMPOTENCY_KEY="nop-4")
    )
    assert Dossier.objects.count() == 1


def test_other_creating_endpoints_answer_the_same_422(applicant):
    api = client_for(applicant, scopes=["webhooks"])
    body = {"url": "http://127.0.0.1:9/hook", "events": ["dossier.status_changed"]}
    first = api.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert first.status_code == 201, first.json()
    again = api.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    _assert_reused(api.post(WEBHOOKS, {**body, "description": "khác"}, format="json", HTTP_IDEMPOTENCY_KEY="wh-1"))
    _assert_reused(
        api.post(
            WEBHOOKS,
            {**body, "description": "khác"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="wh-1",
            HTTP_ACCEPT_LANGUAGE="en",
        ),
        "en",
    )
    assert WebhookSubscription.objects.count() == 1


def test_only_the_filing_view_keeps_keys_itself():
    """Every other POST of the API goes through the middleware's store: the one mechanism."""

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)

    builtin = {view for view in views(get_resolver().url_patterns) if getattr(view, "idempotency_builtin", False)}
    assert builtin == {DossierCollectionView}
