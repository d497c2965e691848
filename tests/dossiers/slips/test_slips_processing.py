"""Slips and documents of processing: form 04 (apology), form 05 (control sheet), generated results.

Every PDF is really rendered (WeasyPrint) on commit through the Celery task (eager in tests) and
read back with pdftotext; the dossiers travel through the real services of the workflow engine.
"""

import datetime as dt
import subprocess

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dossiers import services, tasks
from dossiers.constants import DocumentSource, ResultStatus, ReturnMethod, SlipKind
from dossiers.models import Dossier, DossierEvent, DossierResult, DossierStep, Slip, StoredDocument
from dossiers.services.official_slips import (
    _control_sheet_context,
    slip_control_sheet_render,
    slip_control_sheet_request,
)
from dossiers.services.results import result_render
from portal.constants import OfficerRole
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import DossierFactory, Team, refresh, to_pending, to_processing, working_moment_after
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

APPLICANT = "Trần Thị Bích Ngọc"
REASON = "Phải chờ kết quả xác minh nơi cư trú từ Công an phường Bến Nghé"
DECLINE = "Thửa đất đang có tranh chấp, chưa đủ điều kiện cấp giấy chứng nhận"


def pdf_text(field, tmp_path, *, raw: bool = False) -> str:
    """The PDF's text, whitespace folded; ``raw`` keeps the content stream's order, so a table
    cell's wrapped lines stay together whatever the lengths of the names beside it."""
    field.open("rb")
    try:
        pdf = field.read()
    finally:
        field.close()
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", *(["-raw"] if raw else []), str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def moment(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


@pytest.fixture
def dossier():
    return DossierFactory(applicant=UserFactory(full_name=APPLICANT), code="000.00.99.T99-261124-0007")


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


# --- form 04 ------------------------------------------------------------------------------------


def test_an_apology_issues_form_04_with_both_appointments(dossier, team, tmp_path, django_capture_on_commit_callbacks):
    to_processing(dossier, team)
    # The appointment is close: within one working day, the apology may (must) be issued.
    original = timezone.now() + dt.timedelta(hours=1)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=original)
    new_due = working_moment_after(7, hour=16, minute=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_apologise(user=team.head, dossier_id=dossier.pk, reason=REASON, new_due_at=new_due)
    event = DossierEvent.objects.get(dossier=dossier, action="apology")
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.APOLOGY)
    assert (slip.number, slip.event_seq) == (1, event.seq)
    text = pdf_text(slip.file, tmp_path)
    # A dossier received after 15 September 2025: form 04 of Circular 03/2025/TT-VPCP.
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert "Mẫu số 04 (Ban hành kèm theo Thông tư số 03/2025/TT-VPCP)" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert f"Kính gửi: Ông/Bà {APPLICANT}" in text
    assert dossier.code in text and dossier.procedure_version.name in text
    assert REASON in text
    assert moment(original) in text
    assert moment(new_due) in text and "16 giờ 30 phút" in text
    assert dossier.receiving_agency.name.upper() in text.upper()
    assert team.head.get_full_name() in text
    assert slip.file.name.rsplit("/", 1)[-1] == f"mau-04-xin-loi-gia-han-{dossier.code}.pdf"
    # A redelivered task renders nothing new.
    tasks.render_slip(dossier.pk, str(SlipKind.APOLOGY), event.seq)
    assert Slip.objects.filter(dossier=dossier, kind=SlipKind.APOLOGY).count() == 1


# --- form 05 ------------------------------------------------------------------------------------


def _request(user, dossier, callbacks):
    with callbacks(execute=True):
        slip = slip_control_sheet_request(user=user, dossier_id=dossier.pk)
    return Slip.objects.get(pk=slip.pk)


# Short names: a table cell in the PDF never wraps them, so pdftotext gives them whole.
SHORT_NAMES = {"reception": "Lê Thu Hà", "head": "Đỗ Minh Quân", "specialist": "Vũ Thị Lan", "leader": "Hồ Văn Nam"}


def _short_names(team):
    for attribute, name in SHORT_NAMES.items():
        user = getattr(team, attribute)
        user.full_name = name
        user.save(update_fields=["full_name"])


def test_control_sheet_follows_every_handover(dossier, team, tmp_path, django_capture_on_commit_callbacks):
    _short_names(team)
    dossier = to_pending(dossier, team)
    first = _request(team.head, dossier, django_capture_on_commit_callbacks)
    assert (first.kind, first.number, first.event_seq) == (SlipKind.CONTROL_SHEET, 1, dossier.events_count)
    assert first.file
    # Nothing happened since: the same sheet, no new rendering.
    again = _request(team.reception, dossier, django_capture_on_commit_callbacks)
    assert again.pk == first.pk and again.file.name == first.file.name

    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    services.dossier_return_result(
        user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.COUNTER, recipient=APPLICANT
    )
    dossier = refresh(dossier)
    steps = {s.key: s for s in DossierStep.objects.filter(dossier=dossier)}
    # Early, on time and late, whatever the hour the test runs at.
    DossierStep.objects.filter(pk=steps["receive"].pk).update(
        due_at=steps["receive"].finished_at + dt.timedelta(days=3)
    )
    DossierStep.objects.filter(pk=steps["assign"].pk).update(due_at=steps["assign"].finished_at)
    DossierStep.objects.filter(pk=steps["appraise"].pk).update(
        due_at=steps["appraise"].finished_at - dt.timedelta(hours=2)
    )
    Dossier.objects.filter(pk=dossier.pk).update(due_at=dossier.resolved_at + dt.timedelta(days=2))

    second = _request(team.leader, dossier, django_capture_on_commit_callbacks)
    assert second.pk != first.pk and (second.number, second.event_seq) == (2, dossier.events_count)
    assert second.file and second.file.name != first.file.name
    assert Slip.objects.filter(dossier=dossier, kind=SlipKind.CONTROL_SHEET).count() == 2

    context = _control_sheet_context(refresh(dossier), second)
    rows = [(h["name"], h["giver"], h["receiver"], h["result"]) for h in context["handovers"]]
    assert rows[:3] == [
        ("Tiếp nhận, kiểm tra hồ sơ", team.reception.get_full_name(), team.head.get_full_name(), "Trước hạn"),
        ("Phân công xử lý", team.head.get_full_name(), team.specialist.get_full_name(), "Đúng hạn"),
        # Each receiver is the officer who then held the dossier, once that step is done.
        ("Thẩm định, đề xuất", team.specialist.get_full_name(), team.leader.get_full_name(), "Quá hạn"),
    ]
    # The last two keep their calendar due times: their result depends on the hour; only its presence is checked.
    assert [row[:3] for row in rows[3:]] == [
        ("Phê duyệt kết quả", team.leader.get_full_name(), team.reception.get_full_name()),
        ("Trả kết quả", team.reception.get_full_name(), f"Người nhận kết quả: {APPLICANT}"),
    ]
    assert all(row[3] in ("Trước hạn", "Đúng hạn", "Quá hạn") for row in rows[3:])
    assert all(h["handed_at"] is not None for h in context["handovers"])
    assert context["final"]["timeliness"] == "Trước hạn"

    text = pdf_text(second.file, tmp_path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and APPLICANT in text and dossier.procedure_version.name in text
    # pdftotext interleaves the wrapped lines of a table's cells: check what starts each row.
    positions = [text.index(start) for start in ("1 Tiếp nhận", "2 Phân công", "3 Thẩm định", "4 Phê duyệt", "5 Trả")]
    assert positions == sorted(positions)
    for name in SHORT_NAMES.values():
        assert name in text
    assert "Trước hạn" in text and "Đúng hạn" in text and "Quá hạn" in text
    assert "Đã trả kết quả" in text and "Tại Bộ phận Một cửa" in text
    assert moment(refresh(dossier).returned_at) in text

    # The first sheet, taken before the approval, still shows the dossier as it was then.
    before = _control_sheet_context(refresh(dossier), first)
    assert [h["name"] for h in before["handovers"]][-1] == "Phê duyệt kết quả"
    assert before["handovers"][-1]["handed_at"] is None and before["final"]["returned_at"] is None


def test_control_sheet_lists_consultations_and_stays_late_after_an_apology(
    dossier, team, tmp_path, django_capture_on_commit_callbacks
):
    # Fixed names: with long ones (or e-mails, one unbreakable word each) the handover table grows
    # and the consultation's row was split over two pages, its question with it.
    _short_names(team)
    to_processing(dossier, team)
    other = AgencyFactory(name="Công an phường Bến Nghé")
    other_officer = OfficerMembershipFactory(
        agency=other, role=OfficerRole.SPECIALIST, user=UserFactory(full_name="Mai Anh Tú")
    ).user
    services.dossier_consult(
        user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh nơi cư trú", days=2
    )
    consultation = refresh(dossier).consultations.get()
    services.dossier_consult_reply(
        user=other_officer, dossier_id=dossier.pk, consultation_id=consultation.pk, answer="Đã xác minh, đúng"
    )
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    services.dossier_apologise(
        user=team.leader, dossier_id=dossier.pk, reason=REASON, new_due_at=working_moment_after(5)
    )
    # The first appointment is missed (moved into the past); the new one is met.
    Dossier.objects.filter(pk=dossier.pk).update(original_due_at=timezone.now() - dt.timedelta(days=1))
    # The consulted agency's officer may see the dossier, hence its control sheet too.
    slip = _request(other_officer, dossier, django_capture_on_commit_callbacks)
    context = _control_sheet_context(refresh(dossier), slip)
    [row] = context["consultations"]
    assert row["agency"] == "Công an phường Bến Nghé" and row["answered_by"] == other_officer.get_full_name()
    assert row["result"] in ("Trước hạn", "Đúng hạn")
    assert context["final"]["timeliness"] == ""  # not resolved yet
    services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, recommendation="grant", generate=True)
    result = DossierResult.objects.get(dossier=dossier)
    result_render(result_id=result.pk)
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    slip = _request(team.specialist, dossier, django_capture_on_commit_callbacks)
    final = _control_sheet_context(refresh(dossier), slip)["final"]
    assert (final["timeliness"], final["against_new"]) == ("Quá hạn", "Trước hạn")
    text = pdf_text(slip.file, tmp_path)
    assert "Cơ quan phối hợp giải quyết hồ sơ: Công an phường Bến Nghé" in text
    assert "Quá hạn so với ngày hẹn trả ban đầu" in text
    # The consultation's row, read cell by cell: the agency asked, then the question.
    assert "1 Công an phường Bến Nghé Xác minh nơi cư trú" in pdf_text(slip.file, tmp_path, raw=True)


def test_control_sheet_of_a_dossier_not_yet_received(dossier, team, tmp_path, django_capture_on_commit_callbacks):
    slip = _request(team.reception, dossier, django_capture_on_commit_callbacks)
    assert slip.event_seq == 0 and slip.file
    text = pdf_text(slip.file, tmp_path)
    assert "Hồ sơ chưa được chuyển qua bước xử lý nào." in text and "chưa tiếp nhận" in text


def test_render_task_is_idempotent(dossier, team):
    slip = slip_control_sheet_request(user=team.head, dossier_id=dossier.pk)  # on-commit not run: no file yet
    assert not Slip.objects.get(pk=slip.pk).file
    tasks.render_control_sheet(slip.pk)
    name = Slip.objects.get(pk=slip.pk).file.name
    tasks.render_control_sheet(slip.pk)
    assert Slip.objects.get(pk=slip.pk).file.name == name
    assert slip_control_sheet_render(slip_id=10**9) is None


@pytest.fixture
def outsiders(dossier):
    return {
        "other agency": with_totp(OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.LEADER).user),
        "citizen (the applicant)": dossier.applicant,
        "citizen": UserFactory(),
    }


@pytest.mark.parametrize(
    "role", [OfficerRole.RECEPTION, OfficerRole.SPECIALIST, OfficerRole.DEPARTMENT_HEAD, OfficerRole.LEADER]
)
def test_officers_of_the_agency_get_the_control_sheet(role, client, dossier, django_capture_on_commit_callbacks):
    officer = with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=role).user)
    client.force_login(officer)
    url = f"/officer/dossiers/{dossier.code}/control-sheet/"
    page = client.get(url)
    assert page.status_code == 200 and "Chưa lập phiếu kiểm soát nào" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.CONTROL_SHEET)
    page = client.get(url).content.decode()
    assert f"/files/slips/{slip.pk}/" in page and "Đã cập nhật đến thao tác mới nhất" in page
    download = client.get(f"/files/slips/{slip.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["other agency", "citizen (the applicant)", "citizen"])
def test_others_are_refused_the_control_sheet(who, client, dossier, outsiders, django_capture_on_commit_callbacks):
    user = outsiders[who]
    with pytest.raises(PermissionDenied):
        slip_control_sheet_request(user=user, dossier_id=dossier.pk)
    client.force_login(user)
    url = f"/officer/dossiers/{dossier.code}/control-sheet/"
    assert client.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(url).status_code == 404
    assert callbacks == []
    assert not Slip.objects.filter(kind=SlipKind.CONTROL_SHEET).exists()


def test_anonymous_is_refused_the_control_sheet(client, dossier):
    with pytest.raises(PermissionDenied):
        slip_control_sheet_request(user=AnonymousUser(), dossier_id=dossier.pk)
    with pytest.raises(PermissionDenied):
        slip_control_sheet_request(user=UserFactory(), dossier_id=10**9)
    url = f"/officer/dossiers/{dossier.code}/control-sheet/"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 302 and "/login" in response["Location"]
    assert not Slip.objects.filter(kind=SlipKind.CONTROL_SHEET).exists()


def test_the_sheet_of_another_agency_does_not_download(client, dossier, team, outsiders):
    slip = slip_control_sheet_request(user=team.head, dossier_id=dossier.pk)
    tasks.render_control_sheet(slip.pk)
    client.force_login(outsiders["other agency"])
    assert client.get(f"/files/slips/{slip.pk}/").status_code == 404


# --- generated result drafts --------------------------------------------------------------------


def test_a_generated_draft_is_rendered_on_commit_and_then_approved(
    dossier, team, tmp_path, django_capture_on_commit_callbacks
):
    to_processing(dossier, team)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, recommendation="grant", generate=True)
    result = DossierResult.objects.select_related("stored").get(dossier=dossier)
    stored = result.stored
    assert stored is not None and result.status == ResultStatus.DRAFT
    assert (stored.owner, stored.source, stored.result_code) == (team.specialist, DocumentSource.RESULT, result.code)
    assert stored.mime_type == "application/pdf" and stored.size == stored.file.size
    text = pdf_text(stored.file, tmp_path)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert f"Kết quả giải quyết thủ tục {dossier.procedure_version.name}" in text
    assert APPLICANT in text and dossier.code in text and f"{dossier.code}-KQ1" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text
    assert team.leader.full_name in text  # the agency's only approving leader signs (issue 19)
    assert f"ngày {timezone.localtime(result.created_at):%d} tháng {timezone.localtime(result.created_at):%m}" in text
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    result.refresh_from_db()
    assert result.status == ResultStatus.FINAL and result.stored == stored


def test_approval_waits_for_the_generated_draft_and_rendering_is_idempotent(dossier, team):
    to_processing(dossier, team)
    # Outside a commit callback the task is not run: the draft has no file yet.
    services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, recommendation="grant", generate=True)
    result = DossierResult.objects.get(dossier=dossier)
    assert result.stored is None
    with pytest.raises(ValidationError) as refused:
        services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    assert refused.value.code == "invalid_state"
    tasks.render_result(result.pk)
    tasks.render_result(result.pk)
    assert StoredDocument.objects.filter(result_code=result.code).count() == 1
    result.refresh_from_db()
    assert result.stored is not None
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    assert DossierResult.objects.get(pk=result.pk).status == ResultStatus.FINAL


def test_a_declining_proposal_renders_the_reply_with_its_reason(
    dossier, team, tmp_path, django_capture_on_commit_callbacks
):
    to_processing(dossier, team)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_propose(
            user=team.specialist, dossier_id=dossier.pk, recommendation="decline", generate=True, reason=DECLINE
        )
    result = DossierResult.objects.get(dossier=dossier)
    text = pdf_text(result.stored.file, tmp_path)
    assert "VĂN BẢN TRẢ LỜI" in text and f"Về việc từ chối giải quyết hồ sơ {dossier.code}" in text
    assert DECLINE in text and APPLICANT in text and result.code in text


def test_a_voided_draft_is_not_rendered(dossier, team):
    to_processing(dossier, team)
    services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, recommendation="grant", generate=True)
    services.dossier_send_back(user=team.leader, dossier_id=dossier.pk, reason="Cần xác minh thêm nơi cư trú")
    result = DossierResult.objects.get(dossier=dossier)
    assert result.status == ResultStatus.VOID
    tasks.render_result(result.pk)
    assert DossierResult.objects.get(pk=result.pk).stored is None
    assert not StoredDocument.objects.filter(result_code=result.code).exists()
    assert result_render(result_id=10**9) is None


BIRTH = {
    "requester_name": "Nguyễn Văn Cha",
    "child_name": "Nguyễn Văn Bé",
    "child_sex": "male",
    "child_birth_date": "2026-11-01",
    "birth_place": "Bệnh viện Đa khoa Tỉnh Demo",
    "ethnicity": "Kinh",
    "mother_name": "Trần Thị Mẹ",
    "father_name": "Nguyễn Văn Cha",
    "relationship": "father",
}


def test_a_birth_certificate_names_the_child_and_both_parents(
    demo_catalogue,  # noqa: F811 - the fixture
    tmp_path,
    django_capture_on_commit_callbacks,
):
    """Giấy khai sinh: the child with date and place of birth and both parents; the set signer."""
    version = procedure_selectors.procedure_in_force_by_code("1.001193")
    dossier = DossierFactory(
        procedure_version=version, applicant=UserFactory(full_name="Nguyễn Văn Cha"), form_data=BIRTH
    )
    agency = dossier.receiving_agency
    agency.signer_title, agency.signer_name = "Chủ tịch", "Lê Văn Ký"
    agency.save(update_fields=["signer_title", "signer_name"])
    team = Team(agency)
    to_processing(dossier, team)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_propose(user=team.specialist, dossier_id=dossier.pk, recommendation="grant", generate=True)
    text = pdf_text(DossierResult.objects.get(dossier=dossier).stored.file, tmp_path)
    assert "GIẤY KHAI SINH" in text and "NGUYỄN VĂN BÉ" in text
    assert "01/11/2026" in text and "Bệnh viện Đa khoa Tỉnh Demo" in text and "Nam" in text
    assert "Trần Thị Mẹ" in text and "người cha: Nguyễn Văn Cha" in text
    assert "Ông/Bà: Nguyễn Văn Cha" not in text  # never the applicant as the one the paper is about
    assert "CHỦ TỊCH" in text and "Lê Văn Ký" in text
