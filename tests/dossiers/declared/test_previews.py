"""Documents previewed in the page without downloading (issue 18): a PDF's first pages and an
image, rendered once in the pdf queue to PNG in private storage, shown while "being prepared"
until then, and served with the document's own download permission on every door."""

import io
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from dossiers import services
from dossiers.constants import PreviewState
from dossiers.models import DocumentPreview
from dossiers.services import previews
from dossiers.tasks import render_document_preview
from portal.celery import route_queue
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, StoredDocumentFactory, Team, make_pdf
from tests.dossiers.helpers import api_for, officer_api
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_pdf(owner, pages: int = 3, name: str = "to-khai.pdf"):
    return StoredDocumentFactory(owner=owner, name=name, file=ContentFile(make_pdf(pages), name=name))


@pytest.fixture
def dossier():
    dossier = DossierFactory()
    DossierDocumentFactory(dossier=dossier, stored=stored_pdf(dossier.applicant))
    return dossier


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


@pytest.fixture
def stored(dossier):
    return dossier.documents.get().stored


def status_url(stored) -> str:
    return f"/files/documents/{stored.pk}/preview/"


def page_url(stored, number: int = 1) -> str:
    return f"/files/documents/{stored.pk}/preview/{number}.png"


# --- the task -------------------------------------------------------------------------------------


def test_the_task_runs_in_the_pdf_queue():
    assert route_queue("dossiers.tasks.render_document_preview") == "pdf"


def test_a_pdf_renders_its_first_pages_once_and_then_is_cached(stored, settings, monkeypatch):
    settings.DOCUMENT_PREVIEW_MAX_PAGES = 2
    settings.DOCUMENT_PREVIEW_WIDTH = 300
    assert render_document_preview(stored.pk) == PreviewState.READY
    row = DocumentPreview.objects.get(stored=stored)
    assert (row.page_count, len(row.pages)) == (3, 2)
    for name in row.pages:
        with default_storage.open(name) as handle, Image.open(handle) as image:
            assert image.format == "PNG" and image.width == 300
    pages = list(row.pages)

    def fail(*args, **kwargs):
        raise AssertionError("rendered twice")

    monkeypatch.setattr(subprocess, "run", fail)
    assert render_document_preview(stored.pk) == PreviewState.READY
    assert DocumentPreview.objects.get(stored=stored).pages == pages
    assert DocumentPreview.objects.count() == 1


def test_an_image_is_scaled_and_a_broken_or_huge_file_is_not_rendered(dossier, settings):
    settings.DOCUMENT_PREVIEW_WIDTH = 400
    image = StoredDocumentFactory(
        owner=dossier.applicant, name="anh.png", mime_type="image/png", file=ContentFile(png(1600, 800), name="anh.png")
    )
    assert render_document_preview(image.pk) == PreviewState.READY
    row = DocumentPreview.objects.get(stored=image)
    with default_storage.open(row.pages[0]) as handle, Image.open(handle) as shown:
        assert shown.size == (400, 200)
    broken = StoredDocumentFactory(owner=dossier.applicant, file=ContentFile(b"%PDF-1.4 not really", name="hong.pdf"))
    assert render_document_preview(broken.pk) == PreviewState.FAILED
    huge = stored_pdf(dossier.applicant, pages=1)
    settings.DOCUMENT_PREVIEW_MAX_BYTES = huge.size - 1
    assert render_document_preview(huge.pk) == PreviewState.TOO_LARGE
    assert DocumentPreview.objects.get(stored=huge).pages == []
    word = StoredDocumentFactory(owner=dossier.applicant, mime_type="application/msword")
    assert render_document_preview(word.pk) is None and not DocumentPreview.objects.filter(stored=word).exists()


def test_a_request_queues_once_and_again_only_when_the_task_seems_lost(stored, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        services.document_previews_request(stored_documents=[stored])
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued:
        services.document_previews_request(stored_documents=[stored])
    assert queued == []
    DocumentPreview.objects.filter(stored=stored).update(requested_at=timezone.now() - previews.PENDING_RETRY_AFTER * 2)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.document_previews_request(stored_documents=[stored])
    assert len(queued) == 1
    assert DocumentPreview.objects.get(stored=stored).state == PreviewState.READY


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_shows_being_prepared_then_the_pages(
    client, dossier, team, stored, django_capture_on_commit_callbacks
):
    client.force_login(with_totp(team.specialist))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert len(queued) == 1
    assert f'data-preview-url="{status_url(stored)}"' in body and 'data-preview-state="pending"' in body
    assert "Đang chuẩn bị bản xem trước" in body
    assert "js/document-preview" in body and "<script>" not in body  # no inline script (CSP)
    pending = client.get(status_url(stored)).json()
    assert pending["state"] == "pending" and pending["pages"] == []
    render_document_preview(stored.pk)
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert f'src="{page_url(stored, 1)}"' in body and f'src="{page_url(stored, 3)}"' in body
    assert 'alt="Trang 1 của to-khai.pdf"' in body
    ready = client.get(status_url(stored)).json()
    assert ready == {
        "state": "ready",
        "state_label": "Sẵn sàng",
        "page_count": 3,
        "pages": [page_url(stored, n) for n in (1, 2, 3)],
    }
    image = client.get(page_url(stored, 2))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff" and image["Content-Disposition"].startswith("inline")
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert client.get(page_url(stored, 4)).status_code == 404
    assert client.get(page_url(stored, 0)).status_code == 404


def test_a_document_with_no_preview_says_so(client, dossier, team):
    word = StoredDocumentFactory(owner=dossier.applicant, name="don.doc", mime_type="application/msword")
    DossierDocumentFactory(dossier=dossier, stored=word)
    client.force_login(with_totp(team.specialist))
    assert client.get(status_url(word)).status_code == 404
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert body.count('class="document-preview ') == 1


# --- who may see the pages: the document's own download permission, on every door ---------------------


def _consulted(dossier, team, *, shared: bool):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    other = AgencyFactory()
    kept = DossierDocumentFactory(dossier=dossier, stored=stored_pdf(dossier.applicant, name="rieng.pdf"))
    first = dossier.documents.order_by("pk").first()
    services.dossier_consult(
        user=team.specialist,
        dossier_id=dossier.pk,
        agency_code=other.code,
        question="Xác minh",
        days=2,
        document_ids=[kept.pk if not shared else first.pk],
    )
    return with_totp(OfficerMembershipFactory(agency=other, role=OfficerRole.SPECIALIST).user)


def _caller(who, dossier, team):
    return {
        "own_officer": lambda: with_totp(team.reception),
        "other_agency_officer": lambda: with_totp(
            OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.SPECIALIST).user
        ),
        "consulted_shared": lambda: _consulted(dossier, team, shared=True),
        "consulted_not_shared": lambda: _consulted(dossier, team, shared=False),
        "applicant": lambda: dossier.applicant,
        "other_citizen": UserFactory,
        "anonymous": lambda: None,
    }[who]()


ALLOWED = {
    "own_officer": True,
    "other_agency_officer": False,
    "consulted_shared": True,
    "consulted_not_shared": False,
    "applicant": True,
    "other_citizen": False,
    "anonymous": False,
}


@pytest.mark.parametrize("door", ["session", "token"])
@pytest.mark.parametrize("who", ALLOWED)
def test_preview_permission_matrix(client, dossier, team, stored, who, door):
    render_document_preview(stored.pk)
    user = _caller(who, dossier, team)
    if door == "session" or user is None:
        if user is not None:
            client.force_login(user)
        caller = client
    else:
        caller = officer_api(user) if user.officer_memberships.exists() else api_for(user)
    download = caller.get(f"/files/documents/{stored.pk}/")
    status = caller.get(status_url(stored))
    image = caller.get(page_url(stored, 1))
    if ALLOWED[who]:
        assert (download.status_code, status.status_code, image.status_code) == (200, 200, 200)
        assert status.json()["state"] == "ready"
    elif user is None:
        assert status.status_code == image.status_code == 302 and "/accounts/login/" in status["Location"]
    else:
        assert (download.status_code, status.status_code, image.status_code) == (404, 404, 404)


def test_a_token_without_the_read_scope_or_a_bad_token_gets_nothing(dossier, team, stored, client):
    render_document_preview(stored.pk)
    _token, raw = api_token_create(
        user=with_totp(team.reception), name="ghi", scopes=["dossiers:write", "officer"], by_operator=True
    )
    refused = client.get(page_url(stored), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 403 and "dossiers:read" in refused.json()["detail"]
    bad = client.get(status_url(stored), HTTP_AUTHORIZATION="Bearer khong-hop-le")
    assert bad.status_code == 401 and bad["WWW-Authenticate"].startswith("Bearer")


def test_the_api_lists_each_documents_preview_url(dossier, team, stored):
    body = officer_api(with_totp(team.reception)).get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert body["documents"][0]["preview_url"] == f"http://testserver{status_url(stored)}"
