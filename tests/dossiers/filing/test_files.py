"""Private files served through permission checks; the document store page; the draft purge."""

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from dossiers.constants import SlipKind
from dossiers.models import Dossier, DossierDocument, Slip, StoredDocument
from dossiers.tasks import purge_stale_drafts
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, StoredDocumentFactory, make_pdf
from tests.factories import (
    AgencyFactory,
    OfficerMembershipFactory,
    OrganisationMembershipFactory,
    UserFactory,
    with_totp,
)

pytestmark = pytest.mark.django_db


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def _assert_private_download(response, *, filename: str):
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert filename in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.fixture
def attached():
    """A submitted dossier with one document, and the people around it."""
    document = DossierDocumentFactory()
    return document


def test_owner_downloads_a_stored_document(client, attached):
    client.force_login(attached.dossier.applicant)
    response = client.get(f"/files/documents/{attached.stored_id}/")
    _assert_private_download(response, filename="to_khai.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert _content(response).startswith(b"%PDF-")


def test_stored_document_permission_matrix(client, attached):
    dossier = attached.dossier
    officer = with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.SPECIALIST).user)
    other_officer = with_totp(OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.SPECIALIST).user)
    url = f"/files/documents/{attached.stored_id}/"
    for user, expected in [
        (dossier.applicant, 200),
        (officer, 200),
        (other_officer, 404),
        (UserFactory(), 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == expected, user
    # An id that does not exist answers exactly like one that is not yours.
    client.force_login(UserFactory())
    assert client.get("/files/documents/987654/").status_code == 404
    client.logout()
    assert client.get(url)["Location"].startswith("/accounts/login/")


def test_organisation_document_follows_membership(client):
    membership = OrganisationMembershipFactory()
    stored = StoredDocumentFactory(owner=UserFactory(), organisation=membership.organisation)
    colleague = OrganisationMembershipFactory(organisation=membership.organisation)
    client.force_login(colleague.user)
    assert client.get(f"/files/documents/{stored.pk}/").status_code == 200
    colleague.delete()  # removed from the organisation: access is gone
    assert client.get(f"/files/documents/{stored.pk}/").status_code == 404


def test_download_name_is_sanitised(client):
    stored = StoredDocumentFactory(name='../../etc/"bad"\r\nname.pdf')
    client.force_login(stored.owner)
    response = client.get(f"/files/documents/{stored.pk}/")
    disposition = response["Content-Disposition"]
    assert "bad_name.pdf" in disposition
    assert ".." not in disposition and "/" not in disposition and "\n" not in disposition


def test_vietnamese_download_name(client):
    stored = StoredDocumentFactory(name="Giấy chứng sinh.pdf")
    client.force_login(stored.owner)
    disposition = client.get(f"/files/documents/{stored.pk}/")["Content-Disposition"]
    assert "filename*=utf-8''Gi%E1%BA%A5y_ch%E1%BB%A9ng_sinh.pdf" in disposition


@pytest.fixture
def slip():
    dossier = DossierFactory()
    return Slip.objects.create(
        dossier=dossier,
        kind=SlipKind.ACKNOWLEDGEMENT,
        file=ContentFile(make_pdf(), name=f"xac-nhan-{dossier.code}.pdf"),
        rendered_at=timezone.now(),
    )


def test_slip_download_permission_matrix(client, slip):
    dossier = slip.dossier
    member = OrganisationMembershipFactory()
    officer = with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user)
    url = f"/files/slips/{slip.pk}/"
    for user, expected in [
        (dossier.applicant, 200),
        (officer, 200),
        (with_totp(OfficerMembershipFactory(role=OfficerRole.RECEPTION).user), 404),
        (member.user, 404),
        (UserFactory(), 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == expected, user
    client.force_login(dossier.applicant)
    response = client.get(url)
    _assert_private_download(response, filename="xac-nhan-")
    assert _content(response).startswith(b"%PDF-")
    assert client.get("/files/slips/987654/").status_code == 404


def test_slip_not_rendered_yet_is_404(client):
    slip = Slip.objects.create(dossier=DossierFactory(), kind=SlipKind.ACKNOWLEDGEMENT)
    client.force_login(slip.dossier.applicant)
    assert client.get(f"/files/slips/{slip.pk}/").status_code == 404


def test_document_store_lists_mine_and_my_organisations(client, citizen):
    membership = OrganisationMembershipFactory(user=citizen)
    mine = StoredDocumentFactory(owner=citizen, title="Căn cước của tôi")
    ours = StoredDocumentFactory(owner=UserFactory(), organisation=membership.organisation, title="Giấy phép công ty")
    StoredDocumentFactory(title="Không phải của tôi")
    client.force_login(citizen)
    page = client.get("/dossiers/store/").content.decode()
    assert "Căn cước của tôi" in page and "Giấy phép công ty" in page
    assert "Không phải của tôi" not in page
    assert f"/files/documents/{mine.pk}/" in page and f"/files/documents/{ours.pk}/" in page
    # Every PDF can be checked on /verify/; an electronic result opens its own record page.
    assert page.count('href="/verify/"') == 2


def test_document_store_links_a_result_to_its_verification_page(client, citizen):
    StoredDocumentFactory(owner=citizen, title="Giấy khai sinh", result_code="000.00.12.H99-261130-0001-KQ1")
    client.force_login(citizen)
    page = client.get("/dossiers/store/").content.decode()
    assert 'href="/verify/000.00.12.H99-261130-0001-KQ1/"' in page
    body = client.get("/api/v1/documents/").json()
    assert body["results"][0]["verify_url"].endswith("/verify/000.00.12.H99-261130-0001-KQ1/")


def test_document_store_query_count(client, citizen, django_assert_max_num_queries):
    StoredDocumentFactory.create_batch(2, owner=citizen)
    client.force_login(citizen)
    with django_assert_max_num_queries(8) as small:
        client.get("/dossiers/store/")
    StoredDocumentFactory.create_batch(15, owner=citizen)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/dossiers/store/")


# --- the purge of stale drafts ------------------------------------------------------------------


def test_purge_is_scheduled_daily_at_half_past_two():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "dossiers.tasks.purge_stale_drafts")
    assert entry["schedule"] == crontab(hour=2, minute=30)


def _age(dossier: Dossier, days: float) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=timezone.now() - dt.timedelta(days=days))


def test_purge_deletes_drafts_untouched_for_30_days_only():
    stale = DossierFactory(draft=True)
    upload = DossierDocumentFactory(dossier=stale)
    fresh = DossierFactory(draft=True)
    submitted = DossierFactory()
    _age(stale, 30.01)
    _age(fresh, 29)
    _age(submitted, 400)
    assert purge_stale_drafts.delay().get() == 1
    assert not Dossier.objects.filter(pk=stale.pk).exists()
    assert not DossierDocument.objects.filter(dossier_id=stale.pk).exists()
    assert Dossier.objects.filter(pk__in=[fresh.pk, submitted.pk]).count() == 2
    # The uploads themselves stay in the applicant's document store.
    assert StoredDocument.objects.filter(pk=upload.stored_id).exists()
