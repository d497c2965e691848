"""Permission matrix of the officers' workflow through both doors: the officer's dossier page and the API.

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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.models import Dossier, DossierEvent, DossierResult, Slip, StoredDocument
from portal.constants import OfficerRole
from tests.dossiers.factories import (
    REVIEW_TEMPLATE,
    DossierFactory,
    Team,
    make_pdf,
    to_pending,
    to_processing,
    to_resolved,
)
from tests.dossiers.helpers import api_for
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import FeeFactory

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
                "new_due_at": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
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
    return api_for(user).post(f"/api/v1/dossiers/{code}/actions/", body, format="json").status_code


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
    from dossiers.core.machine import TRANSITIONS

    assert set(TARGET) == set(TRANSITIONS) == set(ALLOWED) == set(SETUP)


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
