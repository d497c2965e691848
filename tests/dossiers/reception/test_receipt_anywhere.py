"""Receipt anywhere in the province (Decree 118/2025/NĐ-CP): a Public Administration Service
Centre receives a dossier of a procedure another agency of its province decides, hands it over
electronically (the ``hand_over`` row: an event and a row of the control sheet), the deciding
agency processes it, and the centre returns the result (the desk recorded).

The matrix of the new row and of the return after a hand-over: the centre's roles, the deciding
agency's roles and another agency's, through the page, the API with a session and the API with
a bearer token. Allowed: the change and exactly one event; refused: 403 for an officer who may
see the dossier, 404 for anyone else, and nothing written.
"""

import datetime as dt
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod, SlipKind, StatusCode
from dossiers.models import Dossier, DossierEvent, Slip
from dossiers.services.official_slips import slip_control_sheet_request
from dossiers.worklists import officer_scope, worklist_filter, worklist_keys_query
from portal.constants import OfficerRole
from procedures import selectors as procedure_selectors
from procedures.constants import AgencyLevel
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory, Team, make_pdf, refresh
from tests.dossiers.helpers import api_as, officer_api
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
S = DossierState
R = OfficerRole


class Province:
    """A province: its people's committee, its service centre, one department deciding the
    procedure; and an agency of another province."""

    def __init__(self):
        self.root = AgencyFactory(level=AgencyLevel.PROVINCE, name="Ủy ban nhân dân Tỉnh Thử")
        self.centre = AgencyFactory(
            parent=self.root, is_service_centre=True, name="Trung tâm Phục vụ hành chính công Tỉnh Thử"
        )
        self.department = AgencyFactory(parent=self.root, name="Sở Tư pháp Tỉnh Thử")
        self.other = AgencyFactory(name="Sở Tư pháp Tỉnh Khác")
        self.version = OnlineVersionFactory(procedure__agencies=[self.department])
        self.centre_team = Team(self.centre)
        self.team = Team(self.department)

    def dossier(self, **kwargs) -> Dossier:
        return DossierFactory(procedure_version=self.version, receiving_agency=self.centre, **kwargs)

    def received(self) -> Dossier:
        dossier = self.dossier()
        services.dossier_receive(user=self.centre_team.reception, dossier_id=dossier.pk)
        return refresh(dossier)

    def handed_over(self) -> Dossier:
        dossier = self.received()
        services.dossier_hand_over(
            user=self.centre_team.reception, dossier_id=dossier.pk, agency_code=self.department.code
        )
        return refresh(dossier)

    def resolved(self) -> Dossier:
        dossier = self.handed_over()
        team = self.team
        services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
        services.dossier_propose(
            user=team.specialist,
            dossier_id=dossier.pk,
            recommendation="grant",
            result_file=("ket-qua.pdf", make_pdf()),
        )
        services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
        return refresh(dossier)


@pytest.fixture
def province():
    return Province()


def _pdf_text(field, tmp_path, *, raw: bool = False) -> str:
    """The PDF's text, whitespace folded; ``raw`` keeps the content stream's order, so a table
    cell's wrapped lines stay together whatever the lengths of the names beside it."""
    path = tmp_path / "sheet.pdf"
    field.seek(0)
    path.write_bytes(field.read())
    command = ["pdftotext", *(["-raw"] if raw else []), str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


# --- the agencies ---------------------------------------------------------------------------------


def test_the_centre_hands_over_to_the_deciding_agencies_of_its_province_only(province):
    assert procedure_selectors.centre_hand_over_agencies(
        centre=province.centre, procedure_id=province.version.procedure_id
    ) == [province.department]
    # A centre of another province, and an agency that is no centre, hand nothing over.
    elsewhere = AgencyFactory(is_service_centre=True)
    assert not procedure_selectors.centre_hand_over_agencies(
        centre=elsewhere, procedure_id=province.version.procedure_id
    )
    assert not procedure_selectors.centre_hand_over_agencies(
        centre=province.other, procedure_id=province.version.procedure_id
    )
    assert procedure_selectors.service_centres_for_procedure(procedure_id=province.version.procedure_id) == [
        province.centre
    ]


def test_the_demo_province_has_its_centre():
    from procedures.demo import AGENCIES, SERVICE_CENTRES  # noqa: PLC0415 - the demo data, read once here

    names = {code: name for code, name, *_rest in AGENCIES}
    assert SERVICE_CENTRES == {"000.00.01.H99"}
    assert names["000.00.01.H99"] == "Trung tâm Phục vụ hành chính công Tỉnh Demo"


# --- the whole path: hand-over, processing at the department, return at the centre ----------------


def test_a_hand_over_processing_and_the_return_at_the_centre(
    province, client, tmp_path, django_capture_on_commit_callbacks
):
    centre, team = province.centre_team, province.team
    centre.reception.full_name = "Lê Thu Hà"
    centre.reception.save(update_fields=["full_name"])
    # A head known by e-mail only: one long word, so the receiving cell wraps over several lines
    # (in CI the row came out of pdftotext's layout mode interleaved with its neighbours).
    team.head.full_name = ""
    team.head.save(update_fields=["full_name"])
    dossier = province.received()
    # Received by the centre; its reception step stays open until the hand-over.
    assert (dossier.state, dossier.receiving_agency_id, dossier.step_role) == (
        S.RECEIVED,
        province.centre.pk,
        "reception",
    )
    assert (
        Dossier.objects.filter(worklist_filter(scope=officer_scope(user=centre.reception), name="to-hand-over")).get()
        == dossier
    )
    # Nobody at the centre processes it.
    with pytest.raises(ValidationError):
        services.dossier_assign(user=centre.leader, dossier_id=dossier.pk, assignee_id=centre.specialist.pk)

    services.dossier_hand_over(user=centre.reception, dossier_id=dossier.pk, agency_code=province.department.code)
    dossier = refresh(dossier)
    assert (dossier.state, dossier.status_code) == (S.RECEIVED, StatusCode.RECEIVED)
    assert (dossier.receiving_agency_id, dossier.reception_centre_id) == (province.department.pk, province.centre.pk)
    event = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    assert (event.action, event.actor_id) == ("hand_over", centre.reception.pk)
    assert event.payload["agency"] == {"code": province.department.code, "name": "Sở Tư pháp Tỉnh Thử"}
    assert event.payload["centre"]["code"] == province.centre.code
    # The department's worklist shows it; the centre's hand-over list no longer does.
    assert dossier in Dossier.objects.filter(worklist_filter(scope=officer_scope(user=team.head), name="to-assign"))
    assert not Dossier.objects.filter(
        worklist_filter(scope=officer_scope(user=centre.reception), name="to-hand-over")
    ).exists()
    # The centre no longer acts on it (a second hand-over, an assignment); the department does.
    with pytest.raises(PermissionDenied):
        services.dossier_hand_over(user=centre.reception, dossier_id=dossier.pk, agency_code=province.department.code)
    with pytest.raises(PermissionDenied):
        services.dossier_assign(user=centre.leader, dossier_id=dossier.pk, assignee_id=centre.specialist.pk)

    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    services.dossier_propose(
        user=team.specialist, dossier_id=dossier.pk, recommendation="grant", result_file=("kq.pdf", make_pdf())
    )
    with pytest.raises(PermissionDenied):
        services.dossier_approve(user=centre.leader, dossier_id=dossier.pk)
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    assert refresh(dossier).state == S.RESOLVED
    # The centre's return desk lists it, and returns it there.
    assert dossier in Dossier.objects.filter(
        worklist_filter(scope=officer_scope(user=centre.reception), name="to-return")
    )
    services.dossier_return_result(
        user=centre.reception, dossier_id=dossier.pk, method=ReturnMethod.COUNTER, recipient="Nguyễn Văn A"
    )
    dossier = refresh(dossier)
    assert (dossier.state, dossier.return_agency_id) == (S.RETURNED, province.centre.pk)
    last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    assert (last.action, last.payload["desk"]["code"]) == ("return_result", province.centre.code)

    # The control sheet (form 06 of Circular 03/2025, received today) read back: the hand-over row.
    with django_capture_on_commit_callbacks(execute=True):
        slip = slip_control_sheet_request(user=centre.reception, dossier_id=dossier.pk)
    slip = Slip.objects.get(pk=slip.pk)
    assert slip.kind == SlipKind.CONTROL_SHEET
    text = _pdf_text(slip.file, tmp_path)
    assert "Mẫu số 06" in text
    assert (
        "Nơi tiếp nhận hồ sơ (không phụ thuộc địa giới hành chính): Trung tâm Phục vụ hành chính công Tỉnh Thử" in text
    )
    assert "Cơ quan (bộ phận) giải quyết hồ sơ: Sở Tư pháp Tỉnh Thử" in text
    # The hand-over row, read cell by cell: its note, then the centre's officer gives and the
    # department receives (its head).
    cells = _pdf_text(slip.file, tmp_path, raw=True)
    assert "(Chuyển hồ sơ điện tử đến cơ quan có thẩm quyền giải quyết)" in cells
    assert f"Lê Thu Hà Sở Tư pháp Tỉnh Thử: {team.head.email}" in cells

    # The applicant's tracking shows where the dossier was received and who decides it.
    client.force_login(dossier.applicant)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "Trung tâm Phục vụ hành chính công Tỉnh Thử" in page and "Sở Tư pháp Tỉnh Thử" in page
    assert "Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết" in page
    api = client.get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert api["agency"]["code"] == province.department.code
    assert api["reception_centre"] == {"code": province.centre.code, "name": province.centre.name}
    assert api["return_agency"]["code"] == province.centre.code
    assert "hand_over" in [entry["action"] for entry in api["timeline"]]


def test_the_deciding_agency_may_return_it_too_and_the_desk_is_its_own(province):
    dossier = province.resolved()
    services.dossier_return_result(
        user=province.team.reception, dossier_id=dossier.pk, method=ReturnMethod.COUNTER, recipient="Nguyễn Văn A"
    )
    assert refresh(dossier).return_agency_id == province.department.pk


def test_a_hand_over_to_an_agency_that_does_not_decide_is_refused_and_changes_nothing(province):
    dossier = province.received()
    before = (dossier.receiving_agency_id, dossier.events_count, dossier.last_event_hash)
    for code in (province.other.code, province.centre.code, "", "x" * 500, "000.00.99.NUL\x00"):
        with pytest.raises(ValidationError) as caught:
            services.dossier_hand_over(user=province.centre_team.reception, dossier_id=dossier.pk, agency_code=code)
        assert "cơ quan có thẩm quyền giải quyết" in str(caught.value)
    row = refresh(dossier)
    assert (row.receiving_agency_id, row.events_count, row.last_event_hash) == before


def test_a_dossier_of_the_centres_own_or_of_an_ordinary_agency_is_not_handed_over(province):
    ordinary = DossierFactory(procedure_version=province.version, receiving_agency=province.department)
    services.dossier_receive(user=province.team.reception, dossier_id=ordinary.pk)
    with pytest.raises(ValidationError):
        services.dossier_hand_over(
            user=province.team.reception, dossier_id=ordinary.pk, agency_code=province.department.code
        )
    assert refresh(ordinary).step_role == "department_head"  # the ordinary reception moves on at once


def test_before_decree_118_the_centre_hands_nothing_over(province):
    dossier = province.dossier()
    services.dossier_receive(user=province.centre_team.reception, dossier_id=dossier.pk)
    old = timezone.make_aware(dt.datetime(2025, 6, 30, 9, 0))
    Dossier.objects.filter(pk=dossier.pk).update(received_at=old, submitted_at=old)
    with pytest.raises(ValidationError):
        services.dossier_hand_over(
            user=province.centre_team.reception, dossier_id=dossier.pk, agency_code=province.department.code
        )


def test_the_centre_takes_it_in_at_the_counter(province):
    dossier = services.dossier_counter_intake(
        officer=province.centre_team.reception,
        agency_id=province.centre.pk,
        procedure_code=province.version.procedure.code,
        channel="counter",
        applicant={"full_name": "Trần Thị Quầy", "citizen_id": "001190000123", "email": "", "phone": "", "address": ""},
        form_data={"full_name": "Trần Thị Quầy"},
        documents=[(province.version.documents.get().pk, "to-khai.pdf", make_pdf())],
    )
    dossier = refresh(dossier)
    assert (dossier.receiving_agency_id, dossier.state, dossier.step_role) == (
        province.centre.pk,
        S.RECEIVED,
        "reception",
    )
    assert dossier.code.startswith(province.centre.code)


def test_the_online_filing_offers_the_centre():
    from dossiers.forms import ApplicantForm  # noqa: PLC0415 - the applicant's form, only here

    province = Province()
    form = ApplicantForm(version=province.version, organisations=[])
    codes = [code for code, _label in form.fields["agency"].choices]
    assert codes == [province.department.code, province.centre.code]


# --- the matrix: hand_over and the return after it --------------------------------------------------

DOORS = ("page", "api_session", "api_token")
SIDES = ("centre", "department", "other", "none")


def _member(province: Province, side: str, role: str):
    agency = {"centre": province.centre, "department": province.department, "other": province.other}.get(side)
    if agency is None:
        return UserFactory()
    return OfficerMembershipFactory(agency=agency, role=role).user


def _post(client, door: str, user, dossier, body: dict) -> int:
    if door == "page":
        client.force_login(with_totp(user) if user.officer_memberships.exists() else user)
        return client.post(f"/officer/dossiers/{dossier.code}/actions/{body['action']}/", body).status_code
    if door == "api_session":
        client.force_login(with_totp(user) if user.officer_memberships.exists() else user)
        return client.post(
            f"/api/v1/dossiers/{dossier.code}/actions/", body, content_type="application/json"
        ).status_code
    return api_as(user).post(f"/api/v1/dossiers/{dossier.code}/actions/", body, format="json").status_code


def _state(dossier) -> tuple:
    row = refresh(dossier)
    return (row.state, row.receiving_agency_id, row.reception_centre_id, row.events_count, row.last_event_hash)


def _check(client, *, door, user, dossier, body, allowed, may_view):
    before = _state(dossier)
    status = _post(client, door, user, dossier, body)
    if allowed:
        assert status in (200, 302), status
        last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
        assert (last.action, last.actor_id) == (body["action"], user.pk)
        assert refresh(dossier).events_count == before[3] + 1
    else:
        assert status == (403 if may_view else 404), status
        assert _state(dossier) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("role", OfficerRole.values)
def test_hand_over_matrix(client, province, role, side, door):
    dossier = province.received()
    user = _member(province, side, role)
    allowed = side == "centre" and role == R.RECEPTION
    _check(
        client,
        door=door,
        user=user,
        dossier=dossier,
        body={"action": "hand_over", "agency": province.department.code},
        allowed=allowed,
        may_view=side == "centre",
    )
    if allowed:
        assert refresh(dossier).receiving_agency_id == province.department.pk


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("role", OfficerRole.values)
def test_return_after_a_hand_over_matrix(client, province, role, side, door):
    dossier = province.resolved()
    user = _member(province, side, role)
    _check(
        client,
        door=door,
        user=user,
        dossier=dossier,
        body={"action": "return_result", "method": ReturnMethod.COUNTER, "recipient": "Nguyễn Văn A"},
        allowed=side in ("centre", "department") and role == R.RECEPTION,
        may_view=side in ("centre", "department"),
    )


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("role", OfficerRole.values)
def test_after_the_hand_over_the_centre_only_watches(client, province, role, door):
    """Every processing row of the handed-over dossier is the department's: the centre's
    officers see it (403), and cannot assign it."""
    dossier = province.handed_over()
    user = _member(province, "centre", role)
    _check(
        client,
        door=door,
        user=user,
        dossier=dossier,
        body={"action": "assign", "assignee": province.team.specialist.pk},
        allowed=False,
        may_view=True,
    )


def test_the_page_and_the_api_offer_the_hand_over_with_its_agencies(client, province):
    dossier = province.received()
    api = officer_api(province.centre_team.reception).get(f"/api/v1/dossiers/{dossier.code}/").json()
    (hand_over,) = [a for a in api["available_actions"] if a["name"] == "hand_over"]
    (field,) = [f for f in hand_over["fields"] if f["name"] == "agency"]
    assert field["choices"] == [{"value": province.department.code, "label": "Sở Tư pháp Tỉnh Thử"}]
    assert "choices_from" not in field
    client.force_login(with_totp(province.centre_team.reception))
    page = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert "Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết" in page
    assert "Sở Tư pháp Tỉnh Thử" in page


# --- the centre's lists: to hand over, to return -----------------------------------------------------


def _queries(get, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_centres_lists_cost_the_same_whatever_their_length(client, province, django_assert_max_num_queries):
    reception = with_totp(province.centre_team.reception)
    client.force_login(reception)
    costs = {}
    for n in (2, 6):
        while Dossier.objects.filter(receiving_agency=province.centre, state=S.RECEIVED).count() < n:
            province.received()
        with django_assert_max_num_queries(25):
            client.get("/officer/worklists/to-hand-over/")  # cold: the menu's counts
        costs[n] = (
            _queries(client.get, "/officer/worklists/to-hand-over/"),
            _queries(client.get, "/api/v1/officer/worklists/to-hand-over/"),
        )
    assert costs[2] == costs[6], costs
    page = client.get("/officer/worklists/to-hand-over/").content.decode()
    codes = Dossier.objects.filter(receiving_agency=province.centre).values_list("code", flat=True)
    assert all(code in page for code in codes)
    assert client.get("/api/v1/officer/worklists/to-hand-over/").json()["count"] == 6
    # A resolved handed-over dossier is on the centre's return list, read once (not twice).
    resolved = province.resolved()
    listed = client.get("/api/v1/officer/worklists/to-return/").json()
    assert [row["code"] for row in listed["results"]] == [resolved.code]


def test_an_officer_of_both_agencies_sees_a_returnable_dossier_once(province):
    dossier = province.resolved()
    both = province.team.reception
    OfficerMembershipFactory(user=both, agency=province.centre, role=R.RECEPTION)
    keys = [pk for _due, pk in worklist_keys_query(scope=officer_scope(user=both), name="to-return")]
    assert keys == [dossier.pk]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_bad_agency_through_the_api_is_a_clear_400_and_changes_nothing(province, language):
    dossier = province.received()
    before = _state(dossier)
    api = officer_api(province.centre_team.reception)
    response = api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "hand_over", "agency": province.other.code},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    expected = {
        "vi": "Vui lòng chọn cơ quan có thẩm quyền giải quyết thủ tục của hồ sơ trong tỉnh.",
        "en": "Please choose the agency of the province that decides this dossier's procedure.",
    }[language]
    assert expected in response.content.decode()
    assert _state(dossier) == before
