"""The process control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ) is the agency's internal
handover record (``dossiers.constants.INTERNAL_SLIP_KINDS``, with the legal reading): only the
receiving agency's officers get it, on every door — the officers' page, the slip download with a
session or a token, the API's ``slips`` with a session or a token; the applicant's dossier page
and tracking never list it. The applicant keeps every other slip (the receipt here)."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers.constants import SlipKind
from dossiers.models import Slip
from portal.constants import OfficerRole
from tests.dossiers.factories import TEST_PIN, DossierFactory, Team, make_pdf, to_processing
from tests.dossiers.helpers import api_for, officer_api, page_client
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet():
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    dossier = to_processing(dossier, team)
    slips = {
        kind: Slip.objects.create(
            dossier=dossier, kind=kind, file=ContentFile(make_pdf(), name=f"{kind}.pdf"), rendered_at=timezone.now()
        )
        for kind in (SlipKind.RECEIPT, SlipKind.CONTROL_SHEET)
    }
    people = {
        "applicant": dossier.applicant,
        "other_citizen": UserFactory(),
        "reception": with_totp(team.reception),
        "specialist": with_totp(team.specialist),
        "leader": with_totp(team.leader),
        "other_agency_leader": with_totp(
            OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.LEADER).user
        ),
    }
    return dossier, slips, people


# who -> whether it gets the control sheet (and, in brackets, the receipt) on every door.
MATRIX = [
    ("applicant", False, True),
    ("other_citizen", False, False),
    ("reception", True, True),
    ("specialist", True, True),
    ("leader", True, True),
    ("other_agency_leader", False, False),
]


def _token_client(user, who) -> APIClient:
    return officer_api(user) if who in ("reception", "specialist", "leader", "other_agency_leader") else api_for(user)


@pytest.mark.parametrize(("who", "sheet_allowed", "receipt_allowed"), MATRIX)
def test_the_control_sheet_reaches_only_the_agency_on_every_door(client, sheet, who, sheet_allowed, receipt_allowed):
    dossier, slips, people = sheet
    user = people[who]
    sheet_url = f"/files/slips/{slips[SlipKind.CONTROL_SHEET].pk}/"
    receipt_url = f"/files/slips/{slips[SlipKind.RECEIPT].pk}/"
    expected = {sheet_url: 200 if sheet_allowed else 404, receipt_url: 200 if receipt_allowed else 404}

    # The slip download with the session, then with a bearer token.
    page_client(client, user)
    for url, status in expected.items():
        response = client.get(url)
        assert response.status_code == status, (who, "session", url)
        if status == 200:
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
    token = _token_client(user, who)
    for url, status in expected.items():
        assert token.get(url).status_code == status, (who, "token", url)

    # The API's detail, with the session and with the token: the sheet listed only for the agency.
    detail_path = f"/api/v1/dossiers/{dossier.code}/"
    session_api = APIClient()
    session_api.force_login(user)
    for door, api in (("session", session_api), ("token", token)):
        response = api.get(detail_path)
        if not receipt_allowed:
            assert response.status_code == 404, (who, door)
            continue
        assert response.status_code == 200, (who, door)
        kinds = [s["kind"] for s in response.json()["slips"]]
        urls = [s["url"] for s in response.json()["slips"]]
        assert (SlipKind.CONTROL_SHEET in kinds) is sheet_allowed, (who, door, kinds)
        assert any(u.endswith(sheet_url) for u in urls) is sheet_allowed, (who, door, urls)
        assert SlipKind.RECEIPT in kinds

    # The officers' control-sheet page.
    page = client.get(f"/officer/dossiers/{dossier.code}/control-sheet/")
    if sheet_allowed:
        assert page.status_code == 200 and sheet_url in page.content.decode()
    else:
        assert page.status_code in (302, 403, 404), (who, page.status_code)
        assert sheet_url not in page.content.decode()


def test_the_applicant_page_and_tracking_never_show_the_control_sheet(client, sheet):
    dossier, slips, people = sheet
    sheet_url = f"/files/slips/{slips[SlipKind.CONTROL_SHEET].pk}/"
    receipt_url = f"/files/slips/{slips[SlipKind.RECEIPT].pk}/"
    page_client(client, people["applicant"])
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert receipt_url in body and sheet_url not in body
    assert "Phiếu kiểm soát" not in body
    for response in (
        client.get("/track/", {"code": dossier.code}),
        client.post("/track/", {"code": dossier.code, "pin": TEST_PIN}),
        client.get(f"/api/v1/track/{dossier.code}/", {"pin": TEST_PIN}),
    ):
        assert response.status_code == 200
        text = response.content.decode()
        assert dossier.code in text and sheet_url not in text and "Phiếu kiểm soát" not in text
