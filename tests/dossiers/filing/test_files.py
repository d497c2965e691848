"""Private files served through permission checks; the document store page; the draft purge."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers.constants import SlipKind
from dossiers.models import Dossier, DossierDocument, Payment, Slip, StoredDocument
from dossiers.tasks import purge_stale_drafts
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    StoredDocumentFactory,
    Team,
    make_pdf,
    to_resolved,
)
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


# --- every file door with a bearer token as with a session (issue 18) ------------------------------
#
# Each url the API gives (a document, a slip, a result, a payment receipt, the control sheet, the
# statistics export) answers the token as the page answers the session: the same permission,
# plus the token's scopes (dossiers:read; officer for an officer's file or an officer-only one).


@pytest.fixture
def doors():
    """A resolved dossier with a document, a receipt slip, a control sheet, a draft-then-final
    result, a paid fee with its e-receipt, and the people around it; each door's url by name."""
    dossier = DossierFactory()
    DossierDocumentFactory(dossier=dossier)
    team = Team(dossier.receiving_agency)
    dossier = to_resolved(dossier, team)
    slips = {
        kind: Slip.objects.create(
            dossier=dossier, kind=kind, file=ContentFile(make_pdf(), name=f"{kind}.pdf"), rendered_at=timezone.now()
        )
        for kind in (SlipKind.RECEIPT, SlipKind.CONTROL_SHEET)
    }
    receipt = StoredDocumentFactory(owner=dossier.applicant, title="Biên lai điện tử", name="bien-lai.pdf")
    Payment.objects.create(
        dossier=dossier,
        reference="TT-MATRIX-0001",
        phase="at_submission",
        amount=50_000,
        status="succeeded",
        payer=dossier.applicant,
        created_at=timezone.now(),
        paid_at=timezone.now(),
        receipt=receipt,
    )
    urls = {
        "document": f"/files/documents/{dossier.documents.first().stored_id}/",
        "receipt_slip": f"/files/slips/{slips[SlipKind.RECEIPT].pk}/",
        "control_sheet": f"/files/slips/{slips[SlipKind.CONTROL_SHEET].pk}/",
        "result": f"/files/documents/{dossier.results.get().stored_id}/",
        "payment_receipt": f"/files/documents/{receipt.pk}/",
        "stats_export": "/officer/stats/report.pdf",
        # The register's exports (sổ theo dõi hồ sơ), filtered to the dossier's procedure.
        "register_csv": f"/officer/register/?export=csv&procedure={dossier.procedure.code}",
        "register_xlsx": f"/officer/register/?export=xlsx&procedure={dossier.procedure.code}",
    }
    return {"dossier": dossier, "team": team, "urls": urls}


def _body(response) -> bytes:
    return _content(response) if response.streaming else response.content


def _bearer(user, scopes):
    _token, raw = api_token_create(user=user, name="matrix", scopes=list(scopes), by_operator="officer" in scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


READ, OFFICER = ("dossiers:read",), ("dossiers:read", "officer")
# (who, scopes) -> the status of each door, in the order of DOOR_NAMES.
DOOR_NAMES = (
    "document",
    "receipt_slip",
    "control_sheet",
    "result",
    "payment_receipt",
    "stats_export",
    "register_csv",
    "register_xlsx",
)
BEARER_MATRIX = [
    # The control sheet is the agency's internal record (dossiers.constants.INTERNAL_SLIP_KINDS).
    ("applicant", READ, (200, 200, 404, 404, 200, 403, 403, 403)),
    ("applicant", ("dossiers:write",), (403, 403, 403, 403, 403, 403, 403, 403)),
    ("other_citizen", READ, (404, 404, 404, 404, 404, 403, 403, 403)),
    ("reception", OFFICER, (200, 200, 200, 200, 200, 403, 200, 200)),  # no statistics for reception
    ("leader", OFFICER, (200, 200, 200, 200, 200, 200, 200, 200)),
    # An officer's token without the officer scope: the officer's powers are withheld.
    ("leader", READ, (404, 404, 404, 404, 404, 403, 403, 403)),
    # Another agency's leader: its own register, without this agency's dossier.
    ("other_agency_leader", OFFICER, (404, 404, 404, 404, 404, 200, 200, 200)),
]
CONTENT_TYPES = {
    "register_csv": "text/csv; charset=utf-8",
    "register_xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _register_codes(name: str, body: bytes) -> set[str]:
    """The dossier codes an export lists."""
    if name == "register_csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        rows = list(openpyxl.load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    return {str(cell) for row in rows[1:] for cell in row if isinstance(cell, str) and "-" in cell}


@pytest.mark.parametrize(("who", "scopes", "expected"), BEARER_MATRIX)
def test_every_file_door_answers_a_bearer_token_like_the_page(client, doors, who, scopes, expected):
    team = doors["team"]
    people = {
        "applicant": doors["dossier"].applicant,
        "other_citizen": UserFactory(),
        "reception": team.reception,
        "leader": team.leader,
        "other_agency_leader": OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.LEADER).user,
    }
    headers = _bearer(people[who], scopes)
    got = {}
    for name in DOOR_NAMES:
        response = client.get(doors["urls"][name], **headers)
        got[name] = response.status_code
        if response.status_code == 200 and name in CONTENT_TYPES:
            assert response["Content-Type"] == CONTENT_TYPES[name], name
            listed = _register_codes(name, _body(response))
            # The same agency restriction as the session: its own dossiers only.
            assert (doors["dossier"].code in listed) is (who != "other_agency_leader"), (name, listed)
        elif response.status_code == 200:
            assert response["Content-Type"] == "application/pdf", name
            assert _body(response).startswith(b"%PDF-"), name
        elif response.status_code == 403 and response["Content-Type"].startswith("application/json"):
            assert "phạm vi" in response.json()["detail"], name
    assert got == dict(zip(DOOR_NAMES, expected, strict=True))


def test_every_file_door_answers_a_session_like_before_and_a_bad_token_with_401(client, doors):
    team, urls = doors["team"], doors["urls"]
    client.force_login(with_totp(team.leader))
    assert {name: client.get(url).status_code for name, url in urls.items()} == dict.fromkeys(urls, 200)
    client.force_login(doors["dossier"].applicant)
    assert client.get(urls["document"]).status_code == 200 and client.get(urls["result"]).status_code == 404
    client.logout()
    for url in urls.values():
        assert client.get(url)["Location"].startswith("/accounts/login/"), url
        refused = client.get(url, HTTP_AUTHORIZATION="Bearer dvc_not-a-token")
        assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="api"', url
        assert "không hợp lệ" in refused.json()["detail"]


def test_every_url_the_api_gives_downloads_with_the_token_that_read_it(doors):
    """Whoever reads the detail, the payments and the document store with its token downloads
    every url in them with the same token."""
    dossier, team = doors["dossier"], doors["team"]
    for user, scopes in ((dossier.applicant, READ), (team.reception, OFFICER), (team.leader, OFFICER)):
        api = APIClient()
        api.credentials(**_bearer(user, scopes))
        detail = api.get(f"/api/v1/dossiers/{dossier.code}/").json()
        payments = api.get(f"/api/v1/dossiers/{dossier.code}/payments/").json()
        urls = [i["url"] for key in ("documents", "slips", "results") for i in detail[key]]
        urls += [p["receipt_url"] for p in payments["payments"] if p["receipt_url"]]
        if user == dossier.applicant:
            urls += [d["url"] for d in api.get("/api/v1/documents/").json()["results"]]
        assert len(urls) >= 4, urls
        for url in urls:
            response = api.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
