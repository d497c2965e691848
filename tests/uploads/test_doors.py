"""Hostile files through the doors that take them (the API filing, the wizard's documents
step): a 400 that names the problem in Vietnamese (English with Accept-Language: en), and
nothing written — no dossier, no document, no stored file, no byte on disk."""

import json
import os
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf.errors import LimitReachedError

from dossiers.models import Dossier, DossierDocument, StoredDocument
from portal import upload_policy
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.dossiers.helpers import api_for
from tests.factories import UserFactory
from tests.uploads import samples

pytestmark = pytest.mark.django_db

URL = "/api/v1/dossiers/"

# (file, words of the Vietnamese message, words of the English one)
HOSTILE = {
    "attachment": (samples.pdf_attachment, "tệp đính kèm nhúng", "embedded"),
    "open_uri": (samples.pdf_open_uri, "URI", "URI"),
    "polyglot": (samples.pdf_html_tail, "định dạng khác", "another format"),
    "bomb": (lambda: samples.pdf_inflating_to(40 * 1024 * 1024), "giải nén ra quá lớn", "decompresses"),
    "pixels": (lambda: samples.png_claiming(30_000, 30_000), "Ảnh 30.000 × 30.000 điểm ảnh", "30,000 × 30,000 pixels"),
}


@pytest.fixture(autouse=True)
def _own_storage(settings, tmp_path):
    """Files are counted in a storage of this test's own: the suite's shared folder is written
    by the other test worker at the same time."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path / "private")}},
    }


def _files_on_disk() -> int:
    root = Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])
    return sum(len(files) for _dir, _dirs, files in os.walk(root)) if root.exists() else 0


def _counts() -> tuple[int, int, int, int]:
    return Dossier.objects.count(), DossierDocument.objects.count(), StoredDocument.objects.count(), _files_on_disk()


@pytest.fixture
def version(db):
    version = OnlineVersionFactory()
    version.documents.update(accepted_types=["application/pdf", "image/png"])
    return version


def _api_file(api, version, content: bytes, language: str):
    requirement = version.documents.get()
    return api.post(
        URL,
        {
            "procedure": version.procedure.code,
            "data": json.dumps({"full_name": "Trần Thị Nộp"}),
            f"documents[{requirement.pk}]": SimpleUploadedFile("giay-to.pdf", content),
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_api_filing_refuses_hostile_files(case, version):
    build, vi, en = HOSTILE[case]
    content = build()
    api = api_for(UserFactory())
    before = _counts()
    for language, words in (("vi", vi), ("en", en)):
        response = _api_file(api, version, content, language)
        assert response.status_code == 400, response.content[:300]
        body = response.json()
        assert body["error"]["code"] == "invalid"
        messages = " ".join(m for ms in body["error"]["fields"].values() for m in ms)
        assert words in messages, messages
    assert _counts() == before


def test_api_filing_answers_pypdfs_limit_error_with_a_clear_400(version):
    api = api_for(UserFactory())
    before = _counts()
    with mock.patch.object(upload_policy, "PdfReader", side_effect=LimitReachedError("Limit reached")):
        response = _api_file(api, version, samples.plain_pdf(), "vi")
        english = _api_file(api, version, samples.plain_pdf(), "en")
    assert response.status_code == 400
    assert "vượt giới hạn" in json.dumps(response.json(), ensure_ascii=False)
    assert english.status_code == 400 and "limit" in json.dumps(english.json())
    assert _counts() == before


def test_api_filing_still_files_a_clean_dossier(version):
    response = _api_file(api_for(UserFactory()), version, samples.plain_pdf(), "vi")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_wizard_refuses_hostile_files(case, version, client):
    build, vi, en = HOSTILE[case]
    content = build()
    draft = DossierFactory(draft=True, procedure_version=version)
    client.force_login(draft.applicant)
    requirement = version.documents.get()
    url = reverse("dossiers:draft_documents", args=[draft.pk])
    before = _counts()
    for language, words in (("vi", vi), ("en", en)):
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language  # pages: the visitor's choice
        response = client.post(
            url, {f"documents[{requirement.pk}]": SimpleUploadedFile("giay-to.pdf", content), "action": "next"}
        )
        assert response.status_code == 400
        assert words in response.content.decode()
    assert _counts() == before


def test_wizard_answers_pypdfs_limit_error_with_a_clear_400(version, client):
    draft = DossierFactory(draft=True, procedure_version=version)
    client.force_login(draft.applicant)
    requirement = version.documents.get()
    before = _counts()
    with mock.patch.object(upload_policy, "PdfReader", side_effect=LimitReachedError("Limit reached")):
        response = client.post(
            reverse("dossiers:draft_documents", args=[draft.pk]),
            {f"documents[{requirement.pk}]": SimpleUploadedFile("giay-to.pdf", samples.plain_pdf())},
        )
    assert response.status_code == 400
    assert "giải nén ra quá 71,5 MB" in response.content.decode()
    assert _counts() == before


def test_the_wizard_shows_the_body_limit(version, client, settings):
    settings.REQUEST_BODY_MAX_SIZE = 51 * 1024 * 1024
    draft = DossierFactory(draft=True, procedure_version=version)
    client.force_login(draft.applicant)
    page = client.get(reverse("dossiers:draft_documents", args=[draft.pk])).content.decode()
    assert "Mỗi lần gửi tối đa 51 MB" in page
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("dossiers:draft_documents", args=[draft.pk])).content
    assert "At most 51 MB per submission" in page.decode()
