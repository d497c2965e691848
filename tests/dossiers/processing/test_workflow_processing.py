"""Processing transitions of the workflow engine, from assignment to the returned result.

The whole path through the services (receive → assign → propose → approve → return), each
processing transition allowed and refused, the steps and results it leaves behind, and the
event chain intact at the end.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dossiers import actions, selectors, services
from dossiers.constants import DossierState, Outcome, ResultStatus, ReturnMethod, StatusCode, StepOutcome
from dossiers.core.events import events_verify
from dossiers.core.machine import TRANSITIONS
from dossiers.models import Consultation, Dossier, DossierEvent, DossierResult, DossierStep, StoredDocument
from portal.constants import OfficerRole
from portal.models import Notification
from tests.dossiers.factories import (
    REVIEW_TEMPLATE,
    DossierFactory,
    Team,
    make_pdf,
    refresh,
    to_pending,
    to_processing,
    to_resolved,
    working_day_after,
)
from tests.dossiers.helpers import api_as
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory
from tests.procedures.factories import FeeFactory

pytestmark = pytest.mark.django_db
S = DossierState


@pytest.fixture
def dossier():
    return DossierFactory()


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


def test_the_whole_path_leaves_steps_results_and_an_intact_chain(dossier, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        to_resolved(dossier, team)
        services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    dossier = refresh(dossier)
    assert dossier.state == S.RETURNED and dossier.status_code == StatusCode.RETURNED
    assert dossier.outcome == Outcome.GRANTED and dossier.return_method == ReturnMethod.ONLINE
    assert dossier.resolved_at is not None and dossier.returned_at is not None
    actions_done = list(DossierEvent.objects.filter(dossier=dossier).order_by("seq").values_list("action", flat=True))
    assert actions_done == ["receive", "assign", "propose", "approve", "return_result"]
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("seq"))
    assert [s.key for s in steps] == ["receive", "assign", "appraise", "approve", "return"]
    assert all(s.finished_at is not None for s in steps)
    assert steps[2].assignee == team.specialist and steps[2].handed_by == team.specialist
    assert all(s.outcome == StepOutcome.DONE for s in steps)
    result = DossierResult.objects.get(dossier=dossier)
    assert result.code == f"{dossier.code}-KQ1" and result.status == ResultStatus.FINAL
    assert result.approved_by == team.leader and result.published_at is not None
    published = StoredDocument.objects.get(result_code=result.code, owner=dossier.applicant)
    assert published.file.name == result.stored.file.name
    assert list(selectors.stored_documents_for_user(user=dossier.applicant).filter(result_code=result.code)) == [
        published
    ]
    assert events_verify(codes=[dossier.code]) == []


def test_a_review_step_sits_between_proposal_and_approval(team):
    dossier = DossierFactory(procedure_version__workflow_steps=REVIEW_TEMPLATE, receiving_agency=team.agency)
    dossier = to_pending(dossier, team)
    assert actions.available_actions(user=team.leader, dossier=dossier) == ["stop"]
    with pytest.raises(ValidationError) as refused:
        services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    assert refused.value.code == "invalid_state"
    services.dossier_forward(user=team.head, dossier_id=dossier.pk, note="Đồng ý trình")
    assert "approve" in actions.available_actions(user=team.leader, dossier=refresh(dossier))
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    assert [s.key for s in DossierStep.objects.filter(dossier=dossier)] == [
        "receive",
        "assign",
        "appraise",
        "review",
        "approve",
        "return",
    ]


def test_only_a_specialist_of_the_agency_can_be_assigned(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    outsider = OfficerMembershipFactory(role=OfficerRole.SPECIALIST).user
    for bad in (None, "", "abc", True, team.reception.pk, outsider.pk, 10**9):
        with pytest.raises(ValidationError) as refused:
            # Through the actions table: the edge parses the raw value, the service checks the person.
            actions.action_get("assign").perform(user=team.head, dossier=dossier, params={"assignee": bad})
        assert "assignee" in refused.value.message_dict
    assert refresh(dossier).state == S.RECEIVED and refresh(dossier).assigned_to is None


def test_only_the_assignee_proposes_and_reassignment_moves_the_step(dossier, team):
    to_processing(dossier, team)
    with pytest.raises(PermissionDenied):
        services.dossier_propose(
            user=team.other_specialist, dossier_id=dossier.pk, recommendation="grant", generate=True
        )
    services.dossier_reassign(user=team.head, dossier_id=dossier.pk, assignee_id=team.other_specialist.pk)
    dossier = refresh(dossier)
    assert dossier.assigned_to == team.other_specialist
    assert DossierStep.objects.get(dossier=dossier, finished_at__isnull=True).assignee == team.other_specialist
    assert "propose" in actions.available_actions(user=team.other_specialist, dossier=dossier)
    assert "propose" not in actions.available_actions(user=team.specialist, dossier=dossier)


def test_proposal_needs_a_pdf_draft_or_generation(dossier, team):
    to_processing(dossier, team)
    cases = [
        ({"recommendation": "maybe", "generate": True}, "recommendation"),
        ({"recommendation": "grant"}, "result_file"),
        ({"recommendation": "grant", "result_file": ("x.pdf", b"not a pdf")}, "result_file"),
        ({"recommendation": "grant", "result_file": ("x.pdf", make_pdf(javascript=True))}, "result_file"),
        ({"recommendation": "decline", "generate": True, "reason": ""}, "reason"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as refused:
            services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, **kwargs)
        assert field in refused.value.message_dict, kwargs
    assert refresh(dossier).state == S.PROCESSING
    assert not DossierResult.objects.filter(dossier=dossier).exists()


def test_send_back_from_the_leader_returns_to_the_specialist_and_voids_the_draft(dossier, team):
    to_pending(dossier, team)
    with pytest.raises(ValidationError):
        services.dossier_send_back(user=team.leader, dossier_id=dossier.pk, reason="")
    services.dossier_send_back(user=team.leader, dossier_id=dossier.pk, reason="Cần xác minh thêm nơi cư trú")
    dossier = refresh(dossier)
    assert dossier.state == S.PROCESSING and dossier.assigned_to == team.specialist
    assert DossierResult.objects.get(dossier=dossier).status == ResultStatus.VOID
    open_step = DossierStep.objects.get(dossier=dossier, finished_at__isnull=True)
    assert open_step.key == "appraise" and open_step.assignee == team.specialist
    assert DossierStep.objects.filter(dossier=dossier, outcome=StepOutcome.SENT_BACK).count() == 1


def test_consultation_is_answered_by_the_other_agency(dossier, team):
    to_processing(dossier, team)
    other = AgencyFactory()
    other_officer = OfficerMembershipFactory(agency=other, role=OfficerRole.SPECIALIST).user
    stranger = OfficerMembershipFactory(role=OfficerRole.SPECIALIST).user
    assert not selectors.dossier_officer_can_view(user=other_officer, dossier=dossier)
    for params, field in (
        ({"agency": "NO-SUCH", "question": "Xác minh nhân thân", "days": 3}, "agency"),
        ({"agency": team.agency.code, "question": "Xác minh nhân thân", "days": 3}, "agency"),
        ({"agency": other.code, "question": "", "days": 3}, "question"),
        ({"agency": other.code, "question": "Xác minh nhân thân", "days": 0}, "days"),
        ({"agency": other.code, "question": "Xác minh nhân thân", "days": "x"}, "days"),
    ):
        with pytest.raises(ValidationError) as refused:
            actions.action_get("consult").perform(user=team.specialist, dossier=dossier, params=params)
        assert field in refused.value.message_dict
    services.dossier_consult(
        user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh nhân thân", days=3
    )
    dossier = refresh(dossier)
    consultation = Consultation.objects.get(dossier=dossier)
    assert dossier.state == S.CONSULTING and dossier.status_code == StatusCode.PROCESSING
    assert consultation.due_at > timezone.now()
    assert selectors.dossier_officer_can_view(user=other_officer, dossier=dossier)
    assert actions.available_actions(user=other_officer, dossier=dossier) == ["consult_reply"]
    with pytest.raises(PermissionDenied):
        services.dossier_consult_reply(
            user=stranger, dossier_id=dossier.pk, consultation_id=consultation.pk, answer="Đã xác minh"
        )
    services.dossier_consult_reply(
        user=other_officer, dossier_id=dossier.pk, consultation_id=consultation.pk, answer="Đã xác minh, đúng"
    )
    assert refresh(dossier).state == S.PROCESSING
    consultation.refresh_from_db()
    assert consultation.answered_by == other_officer and consultation.answer == "Đã xác minh, đúng"


def test_decline_resolves_with_the_declined_outcome(dossier, team):
    to_processing(dossier, team)
    services.dossier_propose(
        user=team.specialist,
        dossier_id=dossier.pk,
        recommendation="decline",
        result_file=("tra-loi.pdf", make_pdf()),
        reason="Không đủ điều kiện theo quy định",
    )
    services.dossier_decline(user=team.leader, dossier_id=dossier.pk, reason="Không đủ điều kiện cấp")
    dossier = refresh(dossier)
    assert dossier.state == S.RESOLVED and dossier.outcome == Outcome.DECLINED


def test_payment_before_the_result_pauses_and_resumes(team):
    dossier = DossierFactory(receiving_agency=team.agency)
    FeeFactory(version=dossier.procedure_version, amount=50_000, collected_at="before_result")
    to_resolved(dossier, team)
    due_before = refresh(dossier).due_at
    services.dossier_request_payment(user=team.reception, dossier_id=dossier.pk)
    dossier = refresh(dossier)
    assert dossier.state == S.PAYMENT_REQUESTED and dossier.status_code == StatusCode.PAYMENT
    assert dossier.paused_at is not None and dossier.resume_state == S.RESOLVED
    assert DossierEvent.objects.filter(dossier=dossier, action="request_payment").get().payload["amount"] == 50_000
    services.dossier_payment_received(user=team.reception, dossier_id=dossier.pk, reference="BL-0001")
    dossier = refresh(dossier)
    assert dossier.state == S.RESOLVED and dossier.paused_at is None and dossier.due_at >= due_before


def test_payment_cannot_be_requested_without_a_fee_due_before_the_result(dossier, team):
    to_resolved(dossier, team)
    with pytest.raises(ValidationError):
        services.dossier_request_payment(user=team.reception, dossier_id=dossier.pk)
    assert refresh(dossier).state == S.RESOLVED


def test_apology_sets_one_new_date_once_and_only_when_due_soon(dossier, team):
    to_processing(dossier, team)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(days=30))
    new_date = working_day_after(40).isoformat()
    apology = actions.action_get("apology")
    with pytest.raises(ValidationError) as refused:
        apology.perform(
            user=team.specialist, dossier=dossier, params={"reason": "Cần xác minh", "new_due_at": new_date}
        )
    assert refused.value.code == "invalid_state"
    soon = timezone.now() + dt.timedelta(hours=1)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=soon)
    for bad in ("", "31/12/2026", "2020-01-01"):
        with pytest.raises(ValidationError) as refused:
            apology.perform(user=team.specialist, dossier=dossier, params={"reason": "Cần xác minh", "new_due_at": bad})
        assert "new_due_at" in refused.value.message_dict
    apology.perform(user=team.specialist, dossier=dossier, params={"reason": "Cần xác minh", "new_due_at": new_date})
    dossier = refresh(dossier)
    assert dossier.original_due_at == soon
    assert timezone.localtime(dossier.due_at).date() == dt.date.fromisoformat(new_date)
    assert dossier.state == S.PROCESSING
    with pytest.raises(ValidationError) as refused:
        apology.perform(user=team.head, dossier=dossier, params={"reason": "Lần hai", "new_due_at": new_date})
    assert refused.value.code == "invalid_state"


def test_stop_and_withdrawal(team):
    stopped = DossierFactory(receiving_agency=team.agency)
    to_processing(stopped, team)
    with pytest.raises(PermissionDenied):
        services.dossier_stop(user=team.specialist, dossier_id=stopped.pk, reason="Người nộp đề nghị dừng")
    services.dossier_stop(user=team.leader, dossier_id=stopped.pk, reason="Có tranh chấp, dừng xử lý")
    assert refresh(stopped).state == S.STOPPED
    assert not DossierStep.objects.filter(dossier=stopped, finished_at__isnull=True).exists()

    withdrawing = DossierFactory(receiving_agency=team.agency)
    to_processing(withdrawing, team)
    services.dossier_withdraw_request(user=withdrawing.applicant, dossier_id=withdrawing.pk, reason="Không cần nữa")
    services.dossier_withdraw_reject(user=team.reception, dossier_id=withdrawing.pk, reason="Hồ sơ đã trình ký")
    assert refresh(withdrawing).state == S.PROCESSING
    services.dossier_withdraw_request(user=withdrawing.applicant, dossier_id=withdrawing.pk, reason="Không cần nữa")
    services.dossier_withdraw_accept(user=team.reception, dossier_id=withdrawing.pk)
    assert refresh(withdrawing).state == S.WITHDRAWN and refresh(withdrawing).status_code == StatusCode.WITHDRAWN


def test_return_needs_its_details(dossier, team):
    to_resolved(dossier, team)
    for kwargs, field in (
        ({"method": "fax"}, "method"),
        ({"method": "counter", "recipient": ""}, "recipient"),
        ({"method": "post", "tracking_number": ""}, "tracking_number"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, **kwargs)
        assert field in refused.value.message_dict
    services.dossier_return_result(
        user=team.reception, dossier_id=dossier.pk, method="post", tracking_number="EB123456789VN"
    )
    dossier = refresh(dossier)
    assert dossier.postal_tracking_number == "EB123456789VN" and dossier.state == S.RETURNED
    assert not StoredDocument.objects.filter(result_code__startswith=dossier.code, owner=dossier.applicant).exists()


def test_offered_actions_carry_labels_and_fields(dossier, team):
    to_processing(dossier, team)
    offered = {
        a.name: actions.action_describe(a)
        for a in actions.offered_actions(user=team.specialist, dossier=refresh(dossier))
    }
    assert set(offered) >= {"propose", "consult", "request_supplement"}
    propose = offered["propose"]
    assert propose["label"] == str(TRANSITIONS["propose"].label)
    names = {f["name"]: f for f in propose["fields"]}
    assert names["recommendation"]["choices"] == ["grant", "decline"] and names["recommendation"]["required"]


def test_actions_registry_performs_uploaded_result(dossier, team):
    to_processing(dossier, team)
    action = actions.action_get("propose")
    upload = SimpleUploadedFile("du-thao.pdf", make_pdf(), content_type="application/pdf")
    action.perform(
        user=team.specialist,
        dossier=refresh(dossier),
        params={"recommendation": "grant"},
        files={"result_file": upload},
    )
    assert refresh(dossier).state == S.PENDING_APPROVAL


def test_an_officer_of_another_agency_can_do_nothing(dossier, team):
    to_pending(dossier, team)
    for role in OfficerRole.values:
        outsider = OfficerMembershipFactory(role=role).user
        assert actions.available_actions(user=outsider, dossier=refresh(dossier)) == []
        with pytest.raises(PermissionDenied):
            services.dossier_approve(user=outsider, dossier_id=dossier.pk)
    citizen = UserFactory()
    with pytest.raises(PermissionDenied):
        services.dossier_approve(user=citizen, dossier_id=dossier.pk)
    assert refresh(dossier).state == S.PENDING_APPROVAL


# --- through the API -------------------------------------------------------------------------

URL = "/api/v1/dossiers/"


def test_the_whole_path_through_the_api_ends_with_the_result_for_the_applicant(
    dossier, team, django_capture_on_commit_callbacks
):
    action_url = f"{URL}{dossier.code}/actions/"

    def post(user, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return api_as(user).post(action_url, body, **kwargs)

    assert post(team.reception, {"action": "receive"}, format="json").status_code == 200
    offered = api_as(team.head).get(f"{URL}{dossier.code}/").json()["available_actions"]
    assign = next(a for a in offered if a["name"] == "assign")
    assert assign["label"] == "Phân công xử lý"
    assert {f["name"] for f in assign["fields"] if f["required"]} == {"assignee"}
    bad = post(team.head, {"action": "assign", "assignee": team.reception.pk}, format="json")
    assert bad.status_code == 400 and "assignee" in str(bad.json())
    assert post(team.head, {"action": "assign", "assignee": team.specialist.pk}, format="json").status_code == 200
    upload = SimpleUploadedFile("du-thao.pdf", make_pdf(), content_type="application/pdf")
    proposed = post(
        team.specialist, {"action": "propose", "recommendation": "grant", "result_file": upload}, format="multipart"
    )
    assert proposed.status_code == 200, proposed.json()
    assert post(team.specialist, {"action": "approve"}, format="json").status_code == 403
    assert post(team.leader, {"action": "approve"}, format="json").status_code == 200
    conflict = post(team.leader, {"action": "approve"}, format="json")
    assert conflict.status_code == 409
    officer_view = api_as(team.reception).get(f"{URL}{dossier.code}/").json()
    assert [r["code"] for r in officer_view["results"]] == [f"{dossier.code}-KQ1"]
    assert api_as(dossier.applicant).get(f"{URL}{dossier.code}/").json()["results"] == []
    returned = post(team.reception, {"action": "return_result", "method": "online"}, format="json")
    assert returned.status_code == 200 and returned.json()["status_code"] == StatusCode.RETURNED

    body = api_as(dossier.applicant).get(f"{URL}{dossier.code}/").json()
    assert [(r["code"], r["status"]) for r in body["results"]] == [(f"{dossier.code}-KQ1", "final")]
    from django.test import Client

    client = Client()
    client.force_login(dossier.applicant)
    download = client.get(body["results"][0]["url"].replace("http://testserver", ""))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(body["results"][0]["url"].replace("http://testserver", "")).status_code == 404


# --- two officers at once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_leaders_deciding_at_once_one_wins_and_the_chain_stays_intact():
    import threading

    from django.db import connection

    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    second_leader = OfficerMembershipFactory(agency=team.agency, role=OfficerRole.LEADER).user
    to_pending(dossier, team)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(label, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[label] = "ok"
        except ValidationError as error:
            outcomes[label] = error.code
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[label] = repr(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=act, args=("approve", lambda: services.dossier_approve(user=team.leader, dossier_id=dossier.pk))
        ),
        threading.Thread(
            target=act,
            args=(
                "send_back",
                lambda: services.dossier_send_back(
                    user=second_leader, dossier_id=dossier.pk, reason="Cần bổ sung ý kiến"
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["invalid_state", "ok"], outcomes
    dossier = refresh(dossier)
    last = DossierEvent.objects.filter(dossier=dossier).order_by("-seq").first()
    assert dossier.events_count == 4 and last.to_state == dossier.state
    assert DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).count() == 1
    assert events_verify(codes=[dossier.code]) == []


def test_assignment_and_consultation_notices_are_their_events(dossier, team, django_capture_on_commit_callbacks):
    """The specialist hears of its assignment (``dossier.assigned``) and the consulted agency's
    assigning officers of the request (``consultation.requested``), in their templates' words."""
    with django_capture_on_commit_callbacks(execute=True):
        to_processing(dossier, team)
    assigned = Notification.objects.get(user=team.specialist, event="dossier.assigned")
    assert assigned.subject == f"Bạn được phân công xử lý hồ sơ {dossier.code}"
    assert assigned.url == f"/officer/dossiers/{dossier.code}/" and assigned.dossier_code == dossier.code
    assert team.head.full_name in assigned.body or team.head.email in assigned.body
    other = AgencyFactory(name="Công an xã Thử")
    head = OfficerMembershipFactory(agency=other, role=OfficerRole.DEPARTMENT_HEAD).user
    clerk = OfficerMembershipFactory(agency=other, role=OfficerRole.RECEPTION).user
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_consult(
            user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh nơi cư trú", days=3
        )
    requested = Notification.objects.get(user=head, event="consultation.requested")
    assert requested.subject == f"Đề nghị phối hợp xử lý hồ sơ {dossier.code}"
    assert team.agency.name in requested.body
    assert not Notification.objects.filter(user=clerk, event="consultation.requested").exists()
