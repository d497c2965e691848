"""The officer's dossier page: what each role sees and may do, bad input per action form,
a state that moved on, the bounded number of queries, and the results on the applicant's page."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.core.machine import TRANSITIONS
from dossiers.models import Consultation, Dossier, DossierEvent, DossierResult, DossierStep, StoredDocument
from portal.constants import OfficerRole
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    Team,
    make_pdf,
    make_png,
    refresh,
    to_pending,
    to_processing,
    to_resolved,
    working_day_after,
)
from tests.factories import AgencyFactory, DepartmentFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
S = DossierState


def page_url(dossier) -> str:
    return f"/officer/dossiers/{dossier.code}/"


def action_url(dossier, name: str) -> str:
    return f"/officer/dossiers/{dossier.code}/actions/{name}/"


def snapshot(dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        row.state,
        row.events_count,
        row.assigned_to_id,
        row.due_at,
        row.original_due_at,
        row.current_step,
        DossierEvent.objects.filter(dossier=dossier).count(),
        DossierStep.objects.filter(dossier=dossier).count(),
        DossierResult.objects.filter(dossier=dossier).count(),
        Consultation.objects.filter(dossier=dossier).count(),
    )


def as_officer(client, user):
    client.force_login(with_totp(user))
    return client


@pytest.fixture
def dossier():
    dossier = DossierFactory(applicant_id_number="001099012345", applicant_phone="0912345678")
    DossierDocumentFactory(dossier=dossier)
    return dossier


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


# --- content for each role ---------------------------------------------------------------------

# At the leader's step (proposal made, default template): the forms each role of the agency gets.
FORMS_AT_APPROVAL = {
    OfficerRole.RECEPTION: set(),
    OfficerRole.SPECIALIST: set(),
    OfficerRole.DEPARTMENT_HEAD: set(),
    OfficerRole.LEADER: {"send_back", "approve", "decline", "stop"},
    OfficerRole.AGENCY_ADMIN: set(),
}


@pytest.mark.parametrize("role", OfficerRole.values)
def test_every_role_of_the_agency_sees_the_whole_dossier_and_only_its_own_forms(client, dossier, team, role):
    department = DepartmentFactory(agency=team.agency, name="Phòng Tư pháp")
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(
        user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk, department_id=department.pk
    )
    services.dossier_propose(
        user=team.specialist,
        dossier_id=dossier.pk,
        recommendation="grant",
        result_title="Giấy xác nhận thử",
        result_file=("ket-qua.pdf", make_pdf()),
    )
    viewer = OfficerMembershipFactory(agency=team.agency, role=role).user
    response = as_officer(client, viewer).get(page_url(dossier))
    assert response.status_code == 200
    body = response.content.decode()
    dossier = refresh(dossier)
    for text in (
        dossier.code,
        dossier.procedure_version.name,
        dossier.procedure.code,
        dossier.applicant_name,
        "001099012345",
        "0912345678",
        dossier.get_channel_display(),
        timezone.localtime(dossier.received_at).strftime("%d/%m/%Y"),
        timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y"),
        f"{dossier.status_code} — {dossier.get_state_display()}",
        team.specialist.full_name,
        "Phòng Tư pháp",
        f"{dossier.code}-KQ1",
        "Giấy xác nhận thử",
        "Dự thảo",
    ):
        assert str(text) in body, text
    result = DossierResult.objects.get(dossier=dossier)
    document = dossier.documents.get()
    assert f"/files/documents/{result.stored_id}/" in body
    assert f"/files/documents/{document.stored_id}/" in body
    # Steps (form 05's rows) and the timeline.
    for step in DossierStep.objects.filter(dossier=dossier):
        assert f'data-key="{step.key}"' in body
    assert (
        body.count('class="timeliness timeliness-')
        == DossierStep.objects.filter(dossier=dossier).exclude(finished_at=None).count()
    )
    for action in ("receive", "assign", "propose"):
        assert f'data-action="{action}"' in body
    forms = {name for name in TRANSITIONS if f'id="action-{name}"' in body}
    assert forms == FORMS_AT_APPROVAL[role]
    if not FORMS_AT_APPROVAL[role]:
        assert "Bạn không có thao tác nào" in body


def test_the_assigned_specialist_gets_the_processing_forms_with_their_fields(client, dossier, team):
    to_processing(dossier, team)
    body = as_officer(client, team.specialist).get(page_url(dossier)).content.decode()
    for name in ("propose", "consult", "send_back", "request_supplement"):
        assert f'id="action-{name}"' in body, name
    # Fields drawn from the registry: radios for a choice, a PDF input, a link for the supplement list.
    assert 'name="recommendation" value="grant"' in body and 'name="recommendation" value="decline"' in body
    assert 'type="file" accept=".pdf,application/pdf" id="propose-result_file" name="result_file"' in body
    assert 'enctype="multipart/form-data"' in body
    assert f'href="/officer/reception/{dossier.code}/request-supplement/"' in body
    assert 'type="number" min="1" step="1" id="consult-days" name="days"' in body
    other = as_officer(client, team.other_specialist).get(page_url(dossier)).content.decode()
    assert 'id="action-propose"' not in other and 'id="action-consult"' not in other


def test_the_head_picks_from_the_agency_specialists_and_departments(client, dossier, team):
    department = DepartmentFactory(agency=team.agency, name="Phòng Hộ tịch")
    DepartmentFactory(name="Phòng của cơ quan khác")
    outsider = OfficerMembershipFactory(role=OfficerRole.SPECIALIST).user
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    body = as_officer(client, team.head).get(page_url(dossier)).content.decode()
    assert 'id="action-assign"' in body
    assert f'<option value="{team.specialist.pk}"' in body and f'<option value="{team.other_specialist.pk}"' in body
    assert f'<option value="{outsider.pk}"' not in body and f'<option value="{team.reception.pk}"' not in body
    assert f'<option value="{department.pk}"' in body and "Phòng của cơ quan khác" not in body


def test_the_original_due_date_shows_after_an_apology(client, dossier, team):
    to_processing(dossier, team)
    soon = timezone.now() + dt.timedelta(hours=1)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=soon)
    new_date = working_day_after(40)
    services.dossier_apologise(
        user=team.head,
        dossier_id=dossier.pk,
        reason="Cần xác minh thêm",
        new_due_at=dt.datetime.combine(new_date, dt.time(17), tzinfo=timezone.get_current_timezone()),
    )
    body = as_officer(client, team.reception).get(page_url(dossier)).content.decode()
    assert "Hẹn trả ban đầu" in body and timezone.localtime(soon).strftime("%H:%M %d/%m/%Y") in body
    assert new_date.strftime("%d/%m/%Y") in body


def test_consultations_show_and_the_consulted_agency_answers_on_the_page(client, dossier, team):
    to_processing(dossier, team)
    other = AgencyFactory(name="Công an xã thử")
    services.dossier_consult(
        user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh nơi cư trú", days=3
    )
    consulted = OfficerMembershipFactory(agency=other, role=OfficerRole.SPECIALIST).user
    client = as_officer(client, consulted)
    body = client.get(page_url(dossier)).content.decode()
    assert "Công an xã thử" in body and "Xác minh nơi cư trú" in body and "Chưa trả lời" in body
    assert 'id="action-consult_reply"' in body
    consultation = Consultation.objects.get(dossier=dossier)
    assert f'<option value="{consultation.pk}"' in body
    response = client.post(
        action_url(dossier, "consult_reply"), {"consultation": consultation.pk, "answer": "Đúng nơi cư trú"}
    )
    assert response.status_code == 302 and response["Location"] == page_url(dossier)
    assert refresh(dossier).state == S.PROCESSING
    after = client.get(page_url(dossier)).content.decode()
    assert "Đúng nơi cư trú" in after and "Đã thực hiện" in after


@pytest.mark.parametrize("who", ["other_agency", "citizen", "applicant"])
def test_the_page_is_404_for_anyone_outside_the_agency(client, dossier, who):
    user = {
        "other_agency": lambda: OfficerMembershipFactory(role=OfficerRole.LEADER).user,
        "citizen": UserFactory,
        "applicant": lambda: dossier.applicant,
    }[who]()
    client = as_officer(client, user)
    assert client.get(page_url(dossier)).status_code == 404
    assert client.post(action_url(dossier, "receive"), {}).status_code == 404
    assert client.get("/officer/dossiers/KHONG-CO/").status_code == 404
    assert refresh(dossier).state == S.SUBMITTED


def test_the_page_asks_for_login_and_totp(client, dossier):
    response = client.get(page_url(dossier))
    assert response.status_code == 302 and "login" in response["Location"]
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    client.force_login(officer)
    response = client.get(page_url(dossier))
    assert response.status_code == 302 and "/officer/" not in response["Location"]


# --- posting an action ---------------------------------------------------------------------------


def test_an_action_redirects_to_the_page_with_a_message(client, dossier, team):
    client = as_officer(client, team.reception)
    assert client.get(action_url(dossier, "receive")).status_code == 405
    response = client.post(action_url(dossier, "receive"), {"note": "Hồ sơ đầy đủ"}, follow=True)
    assert response.redirect_chain == [(page_url(dossier), 302)]
    assert f"Đã thực hiện “Tiếp nhận hồ sơ” đối với hồ sơ {dossier.code}" in response.content.decode()
    dossier = refresh(dossier)
    assert dossier.state == S.RECEIVED and dossier.events_count == 1


def test_the_assigned_specialist_proposes_with_an_uploaded_pdf(client, dossier, team):
    to_processing(dossier, team)
    upload = SimpleUploadedFile("du-thao.pdf", make_pdf(), content_type="application/pdf")
    response = as_officer(client, team.specialist).post(
        action_url(dossier, "propose"), {"recommendation": "grant", "result_title": "Giấy phép", "result_file": upload}
    )
    assert response.status_code == 302
    result = DossierResult.objects.get(dossier=dossier)
    assert refresh(dossier).state == S.PENDING_APPROVAL and result.title == "Giấy phép"
    assert result.stored.mime_type == "application/pdf"


def test_not_allowed_is_403_and_unknown_action_404(client, dossier, team):
    to_processing(dossier, team)
    before = snapshot(dossier)
    client = as_officer(client, team.specialist)
    assert client.post(action_url(dossier, "approve"), {"note": "x"}).status_code == 403
    assert client.post(action_url(dossier, "stop"), {"reason": "Dừng thử nghiệm"}).status_code == 403
    for name in ("no_such_action", "withdraw", "rate", "supplement"):
        assert client.post(action_url(dossier, name), {"reason": "Không cần nữa"}).status_code == 404
    other = as_officer(client, team.other_specialist)
    upload = SimpleUploadedFile("du-thao.pdf", make_pdf(), content_type="application/pdf")
    assert (
        other.post(action_url(dossier, "propose"), {"recommendation": "grant", "result_file": upload}).status_code
        == 403
    )
    assert snapshot(dossier) == before


def test_a_state_that_moved_on_is_explained_after_the_redirect(client, dossier, team):
    to_pending(dossier, team)
    second_leader = OfficerMembershipFactory(agency=team.agency, role=OfficerRole.LEADER).user
    client = as_officer(client, team.leader)
    assert 'id="action-approve"' in client.get(page_url(dossier)).content.decode()
    services.dossier_approve(user=second_leader, dossier_id=dossier.pk)  # the other leader was faster
    before = snapshot(dossier)
    response = client.post(action_url(dossier, "approve"), {"note": ""}, follow=True)
    assert response.redirect_chain == [(page_url(dossier), 302)]
    body = response.content.decode()
    assert "Không thể thực hiện thao tác" in body and "Đã xử lý xong" in body
    assert 'id="action-approve"' not in body
    assert snapshot(dossier) == before


def setup_received(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)


def setup_due_soon(dossier, team):
    to_processing(dossier, team)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))


def not_a_pdf():
    return {"result_file": SimpleUploadedFile("du-thao.pdf", make_png(), content_type="application/pdf")}


BAD_INPUT = [
    # (setup, who, action, data, files, field, message)
    (None, "reception", "refuse", {"reason": "  "}, None, "reason", "Vui lòng nêu lý do từ chối"),
    (
        setup_received,
        "reception",
        "request_supplement",
        {"items": "{"},
        None,
        "items",
        "Danh sách nội dung cần bổ sung phải là JSON hợp lệ.",
    ),
    (setup_received, "head", "assign", {"assignee": "abc"}, None, "assignee", "Vui lòng chọn chuyên viên xử lý."),
    (
        setup_received,
        "head",
        "assign",
        {"assignee": "reception"},
        None,
        "assignee",
        "Người được chọn không có trong danh sách chuyên viên xử lý bạn được phân công.",
    ),
    (
        to_processing,
        "head",
        "reassign",
        {"assignee": "specialist"},
        None,
        "assignee",
        "Hồ sơ đang do chính chuyên viên này xử lý.",
    ),
    (
        to_processing,
        "specialist",
        "propose",
        {"recommendation": "grant"},
        not_a_pdf,
        "result_file",
        "không thuộc các định dạng được chấp nhận",
    ),
    (
        to_processing,
        "specialist",
        "propose",
        {"recommendation": "grant"},
        None,
        "result_file",
        "Vui lòng tải lên dự thảo kết quả (PDF) hoặc chọn tạo dự thảo từ mẫu.",
    ),
    (
        to_processing,
        "specialist",
        "propose",
        {"recommendation": "", "generate": "1"},
        None,
        "recommendation",
        "Vui lòng chọn đề xuất",
    ),
    (to_processing, "specialist", "send_back", {"reason": ""}, None, "reason", "Vui lòng nhập nội dung"),
    (
        to_processing,
        "specialist",
        "consult",
        {"agency": "KHONG-CO", "question": "Xác minh nơi cư trú", "days": "3"},
        None,
        "agency",
        "Cơ quan được chọn không có trong danh sách cơ quan có thể xin ý kiến.",
    ),
    (
        to_processing,
        "specialist",
        "consult",
        {"agency": "own", "question": "Xác minh nơi cư trú", "days": "abc"},
        None,
        "days",
        "Thời hạn trả lời là số ngày làm việc",
    ),
    (
        setup_due_soon,
        "head",
        "apology",
        {"reason": "Cần xác minh thêm", "new_due_at": "31/13/2026"},
        None,
        "new_due_at",
        "Ngày hẹn trả mới không hợp lệ: nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.",
    ),
    (
        setup_due_soon,
        "head",
        "apology",
        {"reason": "Cần xác minh thêm", "new_due_at": "2020-01-01"},
        None,
        "new_due_at",
        "Ngày hẹn trả mới phải sau ngày hẹn trả hiện tại.",
    ),
    (setup_due_soon, "head", "apology", {"reason": "", "new_due_at": "2099-01-01"}, None, "reason", "Vui lòng nhập"),
    (to_processing, "leader", "stop", {"reason": "   "}, None, "reason", "Vui lòng nhập nội dung"),
    (to_pending, "leader", "decline", {"reason": ""}, None, "reason", "Vui lòng nhập nội dung"),
    (to_pending, "leader", "send_back", {"reason": "abc"}, None, "reason", "ít nhất 5 ký tự"),
    (
        to_resolved,
        "reception",
        "return_result",
        {"method": "counter", "recipient": ""},
        None,
        "recipient",
        "Vui lòng nhập nội dung",
    ),
    (
        to_resolved,
        "reception",
        "return_result",
        {"method": "fax"},
        None,
        "method",
        "Vui lòng chọn hình thức trả kết quả",
    ),
]


@pytest.mark.parametrize(
    ("setup", "who", "name", "data", "files", "field", "message"),
    BAD_INPUT,
    ids=[f"{case[2]}-{case[5]}-{i}" for i, case in enumerate(BAD_INPUT)],
)
def test_bad_input_comes_back_with_the_message_and_changes_nothing(
    client, dossier, team, setup, who, name, data, files, field, message
):
    if setup is not None:
        setup(dossier, team)
    data = dict(data)
    for key, value in data.items():  # stand-ins for ids known only now
        if value in ("reception", "specialist"):
            data[key] = str(getattr(team, value).pk)
        elif key == "agency" and value == "own":
            data[key] = team.agency.code
    if files is not None:
        data.update(files())
    before = snapshot(dossier)
    client = as_officer(client, getattr(team, who))
    response = client.post(action_url(dossier, name), data)
    assert response.status_code == 400, response.content[:500]
    body = response.content.decode()
    assert message in body
    assert f'id="action-{name}" data-action="{name}" open' in body
    # The message sits next to its field, and what was typed is kept.
    if field == "items":  # drawn as a link to the supplement page: the message stands above it
        assert 'role="alert"' in body
    else:
        assert f'data-field="{field}"' in body and "invalid-feedback" in body
    assert snapshot(dossier) == before


def test_the_supplement_list_posted_as_json_from_a_form_is_accepted(client, dossier, team):
    setup_received(dossier, team)
    items = json.dumps([{"field": "full_name", "reason": "Họ tên không khớp"}])
    response = as_officer(client, team.reception).post(action_url(dossier, "request_supplement"), {"items": items})
    assert response.status_code == 302
    assert refresh(dossier).state == S.SUPPLEMENT_REQUESTED


# --- queries ---------------------------------------------------------------------------------------


def test_the_queue_links_to_the_page(client, dossier, team):
    body = as_officer(client, team.reception).get("/officer/reception/").content.decode()
    assert f'href="/officer/dossiers/{dossier.code}/?list=reception&amp;pos=0"' in body


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_query_count_is_bounded_and_does_not_grow(client, dossier, team, django_assert_max_num_queries):
    to_pending(dossier, team)
    client = as_officer(client, team.leader)
    client.get(page_url(dossier))  # warm the session
    with django_assert_max_num_queries(60):
        client.get(page_url(dossier))
    few = _count(client, page_url(dossier))
    other = AgencyFactory()
    for round_ in range(4):
        services.dossier_send_back(user=team.leader, dossier_id=dossier.pk, reason=f"Cần bổ sung lần {round_}")
        services.dossier_consult(
            user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh", days=2
        )
        consultation = Consultation.objects.get(dossier=dossier, answered_at__isnull=True)
        reply_officer = OfficerMembershipFactory(agency=other, role=OfficerRole.LEADER).user
        services.dossier_consult_reply(
            user=reply_officer, dossier_id=dossier.pk, consultation_id=consultation.pk, answer="Đã xác minh"
        )
        services.dossier_propose(
            user=team.specialist, dossier_id=dossier.pk, recommendation="grant", result_file=("x.pdf", make_pdf())
        )
    DossierDocumentFactory(dossier=dossier)
    # The first view after a new document asks for its preview once (one insert), then never again.
    assert _count(client, page_url(dossier)) == few + 1
    assert refresh(dossier).events_count >= 19
    many = _count(client, page_url(dossier))
    assert many == few


# --- the applicant's page shows the returned results ----------------------------------------------


def test_the_applicant_sees_the_result_only_once_returned_and_downloads_its_own_copy(client, dossier, team):
    to_resolved(dossier, team)
    result = DossierResult.objects.get(dossier=dossier)
    client.force_login(dossier.applicant)
    before = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert result.code not in before
    services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    copy = StoredDocument.objects.get(result_code=result.code, owner=dossier.applicant)
    assert result.code in body and f"/files/documents/{copy.pk}/" in body
    assert f"/files/documents/{result.stored_id}/" not in body
    response = client.get(f"/files/documents/{copy.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_result_returned_at_the_counter_is_listed_without_a_download(client, dossier, team):
    to_resolved(dossier, team)
    services.dossier_return_result(
        user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.COUNTER, recipient="Nguyễn Văn A"
    )
    client.force_login(dossier.applicant)
    body = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert f"{dossier.code}-KQ1" in body and "Nhận bản giấy" in body
    assert "result-download" not in body
