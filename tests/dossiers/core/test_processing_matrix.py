"""Permission matrix of every row of the dossier table, through every door.

The officers' workflow through both doors: the officer's dossier page and the API.

Every action × every officer role × own agency / other agency / no membership (plus the assigned
specialist for what only the assignee does, and the consulted agency for the answer), posted
through the page (``/officer/dossiers/<code>/actions/<name>/``) and the API
(``/api/v1/dossiers/<code>/actions/``). Allowed: the state moves and exactly one event is written.
Refused: 403 (an officer who may see the dossier) or 404 (anyone else), and nothing is written.
Then the file URLs of a result: officers of the agency and of another, the applicant before and
after the return, another citizen.
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.core.machine import APPLICANT, OFFICER, SYSTEM, TRANSITIONS, transition_run
from dossiers.models import Dossier, DossierEvent, DossierResult, Payment, PaymentRefund, Slip, StoredDocument
from dossiers.services import payments
from portal.constants import OfficerRole
from tests.dossiers.factories import (
    REVIEW_TEMPLATE,
    DossierFactory,
    OnlineVersionFactory,
    Team,
    make_pdf,
    to_pending,
    to_processing,
    to_resolved,
    working_day_after,
)
from tests.dossiers.helpers import api_as, api_for, officer_api
from tests.dossiers.payments.factories import _start, _waiting, gateway_result
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import FeeFactory, ProcedureFactory

pytestmark = pytest.mark.django_db
S = DossierState
R = OfficerRole


class Case:
    """A dossier made ready for one action, the team of its agency and what the action is given."""

    def __init__(self, name: str):
        self.name = name
        self.consulted = None
        self.other_agency_code = ""
        self.consultation_id = None
        if name == "forward":  # the department head's review sits between proposal and approval
            dossier = DossierFactory(procedure_version__workflow_steps=REVIEW_TEMPLATE)
        else:
            dossier = DossierFactory()
        self.team = Team(dossier.receiving_agency)
        self.dossier = dossier
        SETUP[name](self)
        self.dossier = Dossier.objects.get(pk=dossier.pk)

    def params(self, *, door: str) -> dict:
        team = self.team
        values = {
            "receive": {"note": "Hồ sơ đầy đủ"},
            "refuse": {"reason": "Không thuộc thẩm quyền giải quyết"},
            "request_supplement": {"items": [{"field": "full_name", "reason": "Họ tên không khớp"}]},
            "assign": {"assignee": team.specialist.pk},
            "reassign": {"assignee": team.other_specialist.pk},
            "propose": {"recommendation": "grant", "result_title": "Giấy xác nhận"},
            "forward": {"note": "Đồng ý trình"},
            "send_back": {"reason": "Cần xác minh thêm nơi cư trú"},
            "consult": {"agency": self.other_agency_code, "question": "Xác minh nơi cư trú", "days": 3},
            "consult_reply": {"consultation": self.consultation_id, "answer": "Đã xác minh, đúng"},
            "approve": {"note": "Đồng ý"},
            "decline": {"reason": "Không đủ điều kiện cấp"},
            "request_payment": {"note": "Vui lòng nộp lệ phí"},
            "payment_received": {"reference": "BL-0001"},
            "apology": {
                "reason": "Cần xác minh thêm",
                "new_due_at": working_day_after(40).isoformat(),
            },
            "stop": {"reason": "Có tranh chấp, dừng xử lý"},
            "withdraw_accept": {"note": "Đồng ý"},
            "withdraw_reject": {"reason": "Hồ sơ đã trình ký"},
            "return_result": {"method": ReturnMethod.COUNTER, "recipient": "Nguyễn Văn A"},
        }[self.name]
        if door == "page":
            values = {k: json.dumps(v, ensure_ascii=False) if k == "items" else v for k, v in values.items()}
            if self.name == "propose":
                values["result_file"] = SimpleUploadedFile("du-thao.pdf", make_pdf(), content_type="application/pdf")
        elif self.name == "propose":
            values["generate"] = True  # the page door uploads the draft; here it is generated from the template
        return values


def _received(case):
    services.dossier_receive(user=case.team.reception, dossier_id=case.dossier.pk)


def _processing(case):
    to_processing(case.dossier, case.team)
    case.other_agency_code = AgencyFactory().code


def _pending(case):
    to_pending(case.dossier, case.team)


def _consulting(case):
    to_processing(case.dossier, case.team)
    case.consulted = AgencyFactory()
    services.dossier_consult(
        user=case.team.specialist,
        dossier_id=case.dossier.pk,
        agency_code=case.consulted.code,
        question="Xác minh nơi cư trú",
        days=3,
    )
    case.consultation_id = case.dossier.consultations.get().pk


def _resolved_with_fee(case):
    FeeFactory(version=case.dossier.procedure_version, amount=50_000, collected_at="before_result")
    to_resolved(case.dossier, case.team)


def _payment_requested(case):
    _resolved_with_fee(case)
    services.dossier_request_payment(user=case.team.reception, dossier_id=case.dossier.pk)


def _due_soon(case):
    to_processing(case.dossier, case.team)
    Dossier.objects.filter(pk=case.dossier.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))


def _withdrawal_requested(case):
    to_processing(case.dossier, case.team)
    services.dossier_withdraw_request(user=case.dossier.applicant, dossier_id=case.dossier.pk, reason="Không cần nữa")


SETUP = {
    "receive": lambda case: None,
    "refuse": lambda case: None,
    "request_supplement": _received,
    "assign": _received,
    "reassign": _processing,
    "propose": _processing,
    "forward": _pending,
    "send_back": _pending,
    "consult": _processing,
    "consult_reply": _consulting,
    "approve": _pending,
    "decline": _pending,
    "request_payment": _resolved_with_fee,
    "payment_received": _payment_requested,
    "apology": _due_soon,
    "stop": _processing,
    "withdraw_accept": _withdrawal_requested,
    "withdraw_reject": _withdrawal_requested,
    "return_result": lambda case: to_resolved(case.dossier, case.team),
}

# Where each allowed action leads.
TARGET = {
    "receive": S.RECEIVED,
    "refuse": S.REFUSED,
    "request_supplement": S.SUPPLEMENT_REQUESTED,
    "assign": S.PROCESSING,
    "reassign": S.PROCESSING,
    "propose": S.PENDING_APPROVAL,
    "forward": S.PENDING_APPROVAL,
    "send_back": S.PROCESSING,
    "consult": S.CONSULTING,
    "consult_reply": S.PROCESSING,
    "approve": S.RESOLVED,
    "decline": S.RESOLVED,
    "request_payment": S.PAYMENT_REQUESTED,
    "payment_received": S.RESOLVED,
    "apology": S.PROCESSING,
    "stop": S.STOPPED,
    "withdraw_accept": S.WITHDRAWN,
    "withdraw_reject": S.PROCESSING,
    "return_result": S.RETURNED,
}

# The roles of the receiving agency that may take each action (a specialist who is not the assignee
# is the "specialist" column; the assignee is a row of its own below).
ALLOWED = {
    "receive": {R.RECEPTION},
    "refuse": {R.RECEPTION},
    "request_supplement": {R.RECEPTION},
    "assign": {R.DEPARTMENT_HEAD, R.LEADER},
    "reassign": {R.DEPARTMENT_HEAD, R.LEADER},
    "propose": set(),
    "forward": {R.DEPARTMENT_HEAD},
    "send_back": {R.LEADER},  # at the leader's step, only the leader holds it
    "consult": set(),
    "consult_reply": set(),  # the consulted agency answers, not the receiving one
    "approve": {R.LEADER},
    "decline": {R.LEADER},
    # At the resolved stage the result is out of the specialist's hands: reception or the leader asks.
    "request_payment": {R.RECEPTION, R.LEADER},
    "payment_received": {R.RECEPTION},
    "apology": {R.DEPARTMENT_HEAD, R.LEADER},
    "stop": {R.LEADER},
    "withdraw_accept": {R.RECEPTION, R.LEADER},
    "withdraw_reject": {R.RECEPTION, R.LEADER},
    "return_result": {R.RECEPTION},
}
ASSIGNEE_ONLY = ("propose", "consult", "apology")
CONSULTED_ALLOWED = {R.SPECIALIST, R.DEPARTMENT_HEAD, R.LEADER}

MEMBERSHIPS = ("own", "other", "none")
DOORS = ("page", "api")


def state_of(dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        row.state,
        row.status_code,
        row.events_count,
        row.assigned_to_id,
        row.due_at,
        row.last_event_hash,
        DossierEvent.objects.filter(dossier=dossier).count(),
        DossierResult.objects.filter(dossier=dossier).exclude(status="void").count(),
    )


def login(client, user) -> None:
    """Officers pass TOTP before any officer page; citizens sign in as they are."""
    client.force_login(with_totp(user) if user.officer_memberships.exists() else user)


def act(client, *, door: str, user, case: Case):
    """Post the action through one door; returns the HTTP status."""
    code = case.dossier.code
    if door == "page":
        login(client, user)
        return client.post(f"/officer/dossiers/{code}/actions/{case.name}/", case.params(door="page")).status_code
    body = {"action": case.name, **case.params(door="api")}
    # An officer's rows need a token with the officer scope (tests/security: none without).
    client_for = officer_api if user.officer_memberships.exists() else api_for
    return client_for(user).post(f"/api/v1/dossiers/{code}/actions/", body, format="json").status_code


def check(client, *, case: Case, user, door: str, allowed: bool, may_view: bool):
    before = state_of(case.dossier)
    status = act(client, door=door, user=user, case=case)
    if allowed:
        assert status in (200, 302), status
        after = Dossier.objects.get(pk=case.dossier.pk)
        assert after.state == TARGET[case.name]
        assert after.events_count == before[2] + 1
        last = DossierEvent.objects.filter(dossier=case.dossier).order_by("-seq").first()
        assert (last.action, last.actor_id) == (case.name, user.pk)
        assert DossierEvent.objects.filter(dossier=case.dossier).count() == before[6] + 1
    else:
        assert status == (403 if may_view else 404), status
        assert state_of(case.dossier) == before


def member(case: Case, role: str, membership: str):
    if membership == "own":
        return OfficerMembershipFactory(agency=case.team.agency, role=role).user
    if membership == "other":
        return OfficerMembershipFactory(agency=AgencyFactory(), role=role).user
    return UserFactory()


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", OfficerRole.values)
@pytest.mark.parametrize("name", list(TARGET))
def test_matrix(client, name, role, membership, door):
    case = Case(name)
    user = member(case, role, membership)
    allowed = membership == "own" and role in ALLOWED[name]
    check(client, case=case, user=user, door=door, allowed=allowed, may_view=membership == "own")


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("name", ASSIGNEE_ONLY)
def test_the_assigned_specialist_may_and_another_specialist_may_not(client, name, door):
    case = Case(name)
    check(client, case=case, user=case.team.other_specialist, door=door, allowed=False, may_view=True)
    check(client, case=case, user=case.team.specialist, door=door, allowed=True, may_view=True)


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("role", OfficerRole.values)
def test_the_consulted_agency_answers(client, role, door):
    case = Case("consult_reply")
    user = OfficerMembershipFactory(agency=case.consulted, role=role).user
    # Every role of the consulted agency sees the dossier; those who may answer do.
    check(client, case=case, user=user, door=door, allowed=role in CONSULTED_ALLOWED, may_view=True)


def test_the_matrix_covers_every_processing_transition():
    assert set(TARGET) == set(ALLOWED) == set(SETUP)
    assert set(TARGET) == {name for name, row in TRANSITIONS.items() if row.performer == OFFICER} - {
        "submit_at_counter",
        "payment_refund",
        "hand_over",  # a centre's row: its matrix is tests/dossiers/reception/test_receipt_anywhere.py
    }


# --- file URLs of the result ----------------------------------------------------------------------


def download(client, user, stored_id: int) -> int:
    login(client, user)
    return client.get(f"/files/documents/{stored_id}/").status_code


@pytest.mark.parametrize("role", OfficerRole.values)
def test_officers_of_the_agency_download_the_result_and_others_do_not(client, role):
    case = Case("return_result")
    result = DossierResult.objects.get(dossier=case.dossier)
    assert download(client, OfficerMembershipFactory(agency=case.team.agency, role=role).user, result.stored_id) == 200
    assert download(client, OfficerMembershipFactory(role=role).user, result.stored_id) == 404


def test_the_applicant_gets_its_copy_of_the_result_only_once_returned_online(
    client, django_capture_on_commit_callbacks
):
    case = Case("return_result")
    dossier, team = case.dossier, case.team
    result = DossierResult.objects.get(dossier=dossier)
    stranger = UserFactory()
    assert download(client, dossier.applicant, result.stored_id) == 404
    assert not StoredDocument.objects.filter(result_code=result.code, owner=dossier.applicant).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    copy = StoredDocument.objects.get(result_code=result.code, owner=dossier.applicant)
    client.force_login(dossier.applicant)
    response = client.get(f"/files/documents/{copy.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # The agency's working copy stays the agency's; another citizen gets neither.
    assert download(client, dossier.applicant, result.stored_id) == 404
    assert download(client, stranger, copy.pk) == 404
    assert download(client, stranger, result.stored_id) == 404
    assert download(client, OfficerMembershipFactory(role=R.RECEPTION).user, copy.pk) == 404


def test_slips_download_for_the_agency_and_the_applicant_only(client, django_capture_on_commit_callbacks):
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    slip = Slip.objects.filter(dossier=dossier).exclude(file="").get()
    url = f"/files/slips/{slip.pk}/"
    for user, expected in (
        (team.specialist, 200),
        (team.leader, 200),
        (dossier.applicant, 200),
        (OfficerMembershipFactory(role=R.RECEPTION).user, 404),
        (UserFactory(), 404),
    ):
        login(client, user)
        assert client.get(url).status_code == expected, user


# === the rows beyond the officers' workflow =======================================================
#
# The applicant's rows (submit, supplement_submit, withdraw_request, rate), the counter's
# (submit_at_counter), the system's (payment_settle) and the refund (payment_refund), each posted
# by every kind of caller through every door it has: the page with a session, the API endpoint
# with a session and with a bearer token, the generic actions endpoint. Allowed: exactly one new
# event, the row's action, by that caller. Refused: 4xx and nothing written.

CALLERS = ("applicant", "citizen", "reception", "leader", "anonymous")


def row_state_of(dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        row.state,
        row.events_count,
        row.last_event_hash,
        row.rating,
        DossierEvent.objects.filter(dossier=row).count(),
    )


def caller(kind: str, dossier):
    """Who posts: the applicant, another citizen, an officer of the receiving agency, or nobody."""
    if kind == "applicant":
        return dossier.applicant
    if kind == "citizen":
        return UserFactory()
    if kind == "anonymous":
        return None
    role = {"reception": R.RECEPTION, "leader": R.LEADER}[kind]
    return with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=role).user)


def assert_one_event(dossier, before: tuple, *, action: str, actor) -> None:
    after = Dossier.objects.get(pk=dossier.pk)
    assert after.events_count == before[1] + 1
    last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    assert (last.action, last.actor_id) == (action, actor.pk if actor else None)


# --- the applicant's rows after filing ---------------------------------------------------------


def _supplement_case():
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_request_supplement(
        user=team.reception, dossier_id=dossier.pk, items=[{"field": "full_name", "reason": "Họ tên không khớp"}]
    )
    return Dossier.objects.get(pk=dossier.pk)


CASES = {
    "supplement_submit": _supplement_case,
    "withdraw_request": lambda: DossierFactory(processing=True),
    "rate": lambda: DossierFactory(returned=True),
}
# Where an allowed row leads, and what each door posts.
LEADS_TO = {"supplement_submit": S.RECEIVED, "withdraw_request": S.WITHDRAWAL_REQUESTED, "rate": S.RETURNED}
PAGE = {
    "supplement_submit": ("supplement", {"data-full_name": "Nguyễn Văn Sửa"}),
    "withdraw_request": ("withdraw", {"reason": "Nộp nhầm thủ tục", "confirm": "on"}),
    "rate": ("rate", {"rating": "satisfied"}),
}
API = {
    "supplement_submit": ("supplement", {"data": {"full_name": "Nguyễn Văn Sửa"}}),
    "withdraw_request": ("withdraw", {"reason": "Nộp nhầm thủ tục"}),
    "rate": ("rating", {"rating": "satisfied"}),
}
ACTION = {"supplement_submit": "supplement", "withdraw_request": "withdraw", "rate": "rate"}
APPLICANT_DOORS = ("page", "api_session", "api_token", "actions_token")


def post(door: str, row: str, dossier, user, client) -> int:
    if door == "page":
        if user is not None:
            client.force_login(user)
        path, body = PAGE[row]
        return client.post(f"/dossiers/{dossier.code}/{path}/", body).status_code
    if door == "api_session":
        api = APIClient()
        if user is not None:
            api.force_login(user)
        path, body = API[row]
        return api.post(f"/api/v1/dossiers/{dossier.code}/{path}/", body, format="json").status_code
    api = api_for(user) if user is not None else APIClient()
    if door == "api_token":
        path, body = API[row]
        return api.post(f"/api/v1/dossiers/{dossier.code}/{path}/", body, format="json").status_code
    body = {"action": ACTION[row], **API[row][1]}
    return api.post(f"/api/v1/dossiers/{dossier.code}/actions/", body, format="json").status_code


@pytest.mark.parametrize("door", APPLICANT_DOORS)
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("row", list(CASES))
def test_applicant_rows(client, row, who, door):
    dossier = CASES[row]()
    user = caller(who, dossier)
    before = row_state_of(dossier)
    status = post(door, row, dossier, user, client)
    if who == "applicant":
        assert status in (200, 302), status
        assert Dossier.objects.get(pk=dossier.pk).state == LEADS_TO[row]
        assert_one_event(dossier, before, action=TRANSITIONS[row].action, actor=user)
    else:
        # Anonymous: asked to sign in (302 on a page, 401/403 in the API); anyone else: 403/404.
        assert status in ((302, 401, 403) if who == "anonymous" else (403, 404)), status
        assert row_state_of(dossier) == before


# --- the submission: the wizard's last step and the API's one-pass filing -----------------------


def _draft(user):
    version = OnlineVersionFactory(requirement=False)
    draft = services.dossier_draft_create(user=user, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=user, dossier=draft, data={"full_name": "Nguyễn Văn Nộp"})
    return draft


@pytest.mark.parametrize("who", CALLERS)
def test_submit_from_the_wizard(client, who):
    author = UserFactory()
    draft = _draft(author)
    user = author if who == "applicant" else caller(who, draft)
    if user is not None:
        client.force_login(user)
    status = client.post(f"/dossiers/drafts/{draft.pk}/review/", {"declaration": "on"}).status_code
    row = Dossier.objects.get(pk=draft.pk)
    if who == "applicant":
        assert status == 302 and row.state == S.SUBMITTED and row.code
        event = DossierEvent.objects.get(dossier=row)
        assert (event.action, event.actor_id, event.from_state) == ("submit", author.pk, S.DRAFT)
    else:
        assert status in (302, 404) and row.state == S.DRAFT and row.code is None
        assert not DossierEvent.objects.filter(dossier=row).exists()


@pytest.mark.parametrize("door", ("api_session", "api_token"))
def test_submit_through_the_api_filing(door):
    citizen = UserFactory()
    version = OnlineVersionFactory(requirement=False)
    if door == "api_token":
        api = api_for(citizen)
    else:
        api = APIClient()
        api.force_login(citizen)
    response = api.post(
        "/api/v1/dossiers/",
        {
            "procedure": version.procedure.code,
            "data": json.dumps({"full_name": "Nguyễn Văn Nộp"}),
            "declaration": "true",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    event = DossierEvent.objects.get(dossier__code=response.json()["code"])
    assert (event.action, event.actor_id, event.from_state, event.to_state) == (
        "submit",
        citizen.pk,
        S.DRAFT,
        S.SUBMITTED,
    )


# --- the counter: an officer files and receives a walk-in dossier --------------------------------


@pytest.mark.parametrize("own_agency", (True, False))
@pytest.mark.parametrize("role", OfficerRole.values)
def test_submit_at_counter_through_the_intake_page(client, role, own_agency):
    agency = AgencyFactory()
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[agency]), requirement=False)
    officer = OfficerMembershipFactory(agency=agency if own_agency else AgencyFactory(), role=role).user
    client.force_login(with_totp(officer))
    body = {
        "token": "t-1",
        "agency": str(agency.pk),
        "channel": "counter",
        "applicant_full_name": "Trần Thị Quầy",
        "applicant_citizen_id": "001090123456",
        "applicant_phone": "0912345678",
        "applicant_address": "12 Lê Lợi",
        "data-full_name": "Trần Thị Quầy",
        "note": "",
    }
    status = client.post(f"/officer/intake/{version.procedure.code}/", body).status_code
    filed = Dossier.objects.filter(procedure_version=version).first()
    allowed = own_agency and OfficerRole(role) in (R.RECEPTION,)
    if allowed:
        assert status == 302, status
        actions = list(DossierEvent.objects.filter(dossier=filed).order_by("seq").values_list("action", "actor_id"))
        assert actions == [("submit", officer.pk), ("receive", officer.pk)]
    else:
        assert status in (403, 404) and filed is None


# --- the system: the gateway's verified answer settles the payment --------------------------------


def test_payment_settle_is_the_gateways_alone(client):
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    before = row_state_of(dossier)
    # No person performs the system's row, whatever the door.
    for user in (citizen, caller("reception", dossier), caller("leader", dossier)):
        with pytest.raises(PermissionDenied):
            transition_run(name="payment_settle", user=user, dossier_id=dossier.pk)
        response = api_as(user).post(
            f"/api/v1/dossiers/{dossier.code}/actions/", {"action": "payment_settle"}, format="json"
        )
        assert response.status_code == 400
    # A forged answer changes nothing; the signed one settles, as the system (no actor).
    assert client.get("/payments/ipn/", gateway_result(payment, secret="forged")).json()["RspCode"] != "00"
    assert row_state_of(dossier) == before
    assert client.get("/payments/ipn/", gateway_result(payment)).json()["RspCode"] == "00"
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    assert_one_event(dossier, before, action="payment_received", actor=None)


# --- the refund: the receiving agency's reception, by the page and the API ------------------------


def _paid():
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    assert payments.payment_ipn(params=gateway_result(payment))[0] == "00"
    return Dossier.objects.get(pk=dossier.pk), Payment.objects.get(pk=payment.pk)


@pytest.mark.parametrize("door", ("page", "api_session", "api_token"))
@pytest.mark.parametrize("own_agency", (True, False))
@pytest.mark.parametrize("role", OfficerRole.values)
def test_payment_refund(client, role, own_agency, door):
    dossier, payment = _paid()
    officer = with_totp(
        OfficerMembershipFactory(agency=dossier.receiving_agency if own_agency else AgencyFactory(), role=role).user
    )
    before = row_state_of(dossier)
    body = {"amount": "5000", "reason": "Thu thừa lệ phí", "reference": "CK-001"}
    if door == "page":
        client.force_login(officer)
        status = client.post(f"/payments/{payment.pk}/refund/", body).status_code
    else:
        api = officer_api(officer) if door == "api_token" else APIClient()
        if door == "api_session":
            api.force_login(officer)
        status = api.post(
            f"/api/v1/dossiers/{dossier.code}/refunds/", {**body, "payment": payment.reference}, format="json"
        ).status_code
    if own_agency and role == R.RECEPTION:
        assert status in (201, 302), status
        assert PaymentRefund.objects.filter(payment=payment).count() == 1
        assert_one_event(dossier, before, action="payment_refunded", actor=officer)
    else:
        assert status in (403, 404), status
        assert not PaymentRefund.objects.exists() and row_state_of(dossier) == before


# --- every row of the table is in a matrix ---------------------------------------------------------


def test_every_row_of_the_table_is_in_a_matrix():
    covered = {
        *TARGET,
        *CASES,
        "submit",
        "submit_at_counter",
        "payment_settle",
        "payment_refund",
        "hand_over",  # tests/dossiers/reception/test_receipt_anywhere.py (test_hand_over_matrix)
    }
    assert covered == set(TRANSITIONS)
    performers = {name: row.performer for name, row in TRANSITIONS.items()}
    assert {n for n, p in performers.items() if p == APPLICANT} == {*CASES, "submit"}
    assert {n for n, p in performers.items() if p == SYSTEM} == {"payment_settle"}
    assert {n for n, p in performers.items() if p == OFFICER} == {
        *TARGET,
        "submit_at_counter",
        "payment_refund",
        "hand_over",
    }
