"""The dated rule sets (procedures.rulebook): the forms, numbers and citations a dossier gets are
those in force when it was received; the stop notice (form 05 of Circular 03/2025/TT-VPCP); the
control sheet's rows, the department head's assignment included.

Dates are hand-picked on both sides of 1 July 2025 (Decree 61/2018 → 118/2025) and of
15 September 2025 (Circular 01/2018 → 03/2025). PDFs are rendered for real and read back with
pdftotext.
"""

import datetime as dt
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from dossiers import services, tasks
from dossiers.constants import SlipKind
from dossiers.models import Dossier, DossierEvent, Slip
from dossiers.services.official_slips import _control_sheet_context, slip_control_sheet_request
from dossiers.services.slips import slip_download_name
from procedures import rulebook
from procedures import selectors as procedure_selectors
from procedures.models import RuleSet
from tests.dossiers.factories import DossierFactory, Team, refresh, to_processing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
STOP_REASON = "Cơ quan có thẩm quyền yêu cầu tạm đình chỉ do có tranh chấp về quyền sử dụng đất"


def pdf_text(field, tmp_path) -> str:
    with field.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=HCM)


# --- the rule set chosen by date (no database) -------------------------------------------------


@pytest.mark.parametrize(
    ("day", "decree", "circular", "control_sheet", "register", "stop", "apology_title"),
    [
        # The day before Decree 118/2025 took effect: the 2018 texts throughout.
        (dt.date(2025, 6, 30), "61/2018/NĐ-CP", "01/2018/TT-VPCP", "05", "06", None, "Phiếu xin lỗi và hẹn lại"),
        # Decree 118/2025 from 1 July 2025; Circular 01/2018's forms until its successor.
        (dt.date(2025, 7, 1), "118/2025/NĐ-CP", "01/2018/TT-VPCP", "05", "06", None, "Phiếu xin lỗi và hẹn lại"),
        (dt.date(2025, 9, 14), "118/2025/NĐ-CP", "01/2018/TT-VPCP", "05", "06", None, "Phiếu xin lỗi và hẹn lại"),
        # Circular 03/2025 from 15 September 2025: seven forms, the stop notice 05.
        (dt.date(2025, 9, 15), "118/2025/NĐ-CP", "03/2025/TT-VPCP", "06", "07", "05", "Văn bản xin lỗi và đề nghị"),
        (dt.date(2026, 12, 2), "118/2025/NĐ-CP", "03/2025/TT-VPCP", "06", "07", "05", "Văn bản xin lỗi và đề nghị"),
    ],
)
def test_the_rule_set_in_force_on_each_side_of_the_dates(
    day, decree, circular, control_sheet, register, stop, apology_title
):
    book = procedure_selectors.rule_set_on(day)
    assert (book.decree, book.circular) == (decree, circular)
    assert decree in book.decree_citation and circular in book.circular_citation
    assert book.form(rulebook.CONTROL_SHEET).number == control_sheet
    assert book.form(rulebook.REGISTER).number == register
    assert (book.form(rulebook.STOP_NOTICE).number if book.form(rulebook.STOP_NOTICE) else None) == stop
    assert book.form(rulebook.APOLOGY).title.startswith(apology_title)
    assert [book.form(k).number for k in (rulebook.RECEIPT, rulebook.SUPPLEMENT, rulebook.REFUSAL)] == [
        "01",
        "02",
        "03",
    ]
    # The dossier code keeps the format of Circular 01/2018 art. 19, and the set says so.
    assert "Điều 19 Thông tư số 01/2018/TT-VPCP" in book.dossier_code_article


def test_a_day_before_every_set_gets_the_oldest():
    assert procedure_selectors.rule_set_on(dt.date(2010, 1, 1)).key == "2018"


# --- a later set added by the administrator, wording only ----------------------------------------


def test_an_admin_rule_set_changes_wording_from_its_date_and_keeps_the_rest():
    assert procedure_selectors.rule_set_on(dt.date(2027, 3, 1)).key == "2025-09"  # cached now
    RuleSet.objects.create(
        effective_from=dt.date(2027, 3, 1),
        name="Thông tư sửa đổi (thử nghiệm)",
        circular="09/2026/TT-VPCP",
        forms={"control_sheet": {"title": "Phiếu theo dõi quá trình giải quyết hồ sơ"}},
    )
    before = procedure_selectors.rule_set_on(dt.date(2027, 2, 28))
    after = procedure_selectors.rule_set_on(dt.date(2027, 3, 1))
    assert before.circular == "03/2025/TT-VPCP"
    assert after.circular == "09/2026/TT-VPCP"
    # The save cleared the cached sets; what the row leaves blank comes from the set before it.
    assert after.form(rulebook.CONTROL_SHEET).label == "Mẫu 06 — Phiếu theo dõi quá trình giải quyết hồ sơ"
    assert after.form(rulebook.STOP_NOTICE) == before.form(rulebook.STOP_NOTICE)
    assert after.decree == "118/2025/NĐ-CP"


def test_an_admin_rule_set_with_an_unknown_form_is_refused():
    row = RuleSet(effective_from=dt.date(2027, 1, 1), name="Sai", forms={"form99": {"number": "99"}})
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "form99" in str(exc.value.message_dict["forms"])
    assert not RuleSet.objects.exists()


# --- the slips of a dossier follow its reception date -------------------------------------------


@pytest.fixture
def dossier():
    return DossierFactory(applicant=UserFactory(full_name="Trần Thị Bích Ngọc"), code="000.00.99.T99-261124-0007")


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


def _received_on(dossier, day: dt.date) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(received_at=at(day), submitted_at=at(day, 8))
    return refresh(dossier)


def _stop(dossier, team, callbacks):
    with callbacks(execute=True):
        services.dossier_stop(user=team.leader, dossier_id=dossier.pk, reason=STOP_REASON)
    return refresh(dossier)


def test_stopping_issues_form_05_once_with_its_reason(dossier, team, tmp_path, django_capture_on_commit_callbacks):
    to_processing(dossier, team)
    dossier = _stop(dossier, team, django_capture_on_commit_callbacks)
    event = DossierEvent.objects.get(dossier=dossier, action="stop")
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.STOP_NOTICE)
    assert (slip.number, slip.event_seq) == (1, event.seq)
    assert slip.get_kind_display() == "Mẫu 05 — Thông báo dừng giải quyết hồ sơ"
    # The stored name carries the form's number (the storage may add its suffix when a file of
    # that name is left from an earlier run); the name people download keeps the code intact.
    assert slip.file.name.rsplit("/", 1)[-1].startswith("mau-05-dung-giai-quyet-")
    assert slip_download_name(slip) == f"mau-05-thong-bao-dung-giai-quyet-ho-so-{dossier.code}.pdf"
    text = pdf_text(slip.file, tmp_path)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert "Mẫu số 05 (Ban hành kèm theo Thông tư số 03/2025/TT-VPCP)" in text
    assert "Nghị định số 118/2025/NĐ-CP" in text and "Thông tư số 03/2025/TT-VPCP" in text
    assert STOP_REASON in text and dossier.code in text and "Trần Thị Bích Ngọc" in text
    # A redelivered task renders nothing new, and a second stop is refused: one notice.
    tasks.render_slip(dossier.pk, str(SlipKind.STOP_NOTICE), event.seq)
    with pytest.raises(ValidationError):
        services.dossier_stop(user=team.leader, dossier_id=dossier.pk, reason=STOP_REASON)
    assert Slip.objects.filter(dossier=dossier, kind=SlipKind.STOP_NOTICE).count() == 1


@pytest.mark.parametrize("received", [dt.date(2025, 6, 30), dt.date(2025, 9, 14)])
def test_a_dossier_received_under_circular_01_2018_gets_no_stop_notice(
    received, dossier, team, django_capture_on_commit_callbacks
):
    to_processing(dossier, team)
    dossier = _received_on(dossier, received)
    dossier = _stop(dossier, team, django_capture_on_commit_callbacks)
    assert dossier.state == "stopped"
    assert not Slip.objects.filter(dossier=dossier, kind=SlipKind.STOP_NOTICE).exists()


@pytest.mark.parametrize(
    ("received", "number", "circular"),
    [(dt.date(2025, 9, 14), "05", "01/2018/TT-VPCP"), (dt.date(2025, 9, 15), "06", "03/2025/TT-VPCP")],
)
def test_the_control_sheet_is_numbered_by_the_reception_date(
    received, number, circular, dossier, team, tmp_path, django_capture_on_commit_callbacks
):
    to_processing(dossier, team)
    dossier = _received_on(dossier, received)
    with django_capture_on_commit_callbacks(execute=True):
        slip = slip_control_sheet_request(user=team.head, dossier_id=dossier.pk)
    slip = Slip.objects.get(pk=slip.pk)
    assert slip.get_kind_display() == f"Mẫu {number} — Phiếu kiểm soát quá trình giải quyết hồ sơ"
    assert slip.file.name.rsplit("/", 1)[-1] == f"mau-{number}-kiem-soat-{dossier.code}.pdf"
    text = pdf_text(slip.file, tmp_path)
    assert f"Mẫu số {number} (Ban hành kèm theo Thông tư số {circular})" in text
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text


def test_reprinting_an_old_receipt_gives_the_old_form(dossier, team, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    dossier = _received_on(dossier, dt.date(2025, 9, 12))
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.RECEIPT)
    # A reprint: the file is rendered again from the dossier's record.
    Slip.objects.filter(pk=slip.pk).update(file="", rendered_at=None)
    tasks.render_slip(dossier.pk, str(SlipKind.RECEIPT), slip.event_seq)
    text = pdf_text(Slip.objects.get(pk=slip.pk).file, tmp_path)
    assert "Mẫu số 01 (Ban hành kèm theo Thông tư số 01/2018/TT-VPCP)" in text
    assert "03/2025" not in text


# --- the control sheet records the department head's assignment (issue 18) ---------------------

NO_HEAD_TEMPLATE = [
    {"key": "receive", "name": "Tiếp nhận", "role": "reception", "duration": 4, "unit": "hours"},
    {"key": "appraise", "name": "Thẩm định", "role": "specialist", "duration": 2, "unit": "days"},
    {"key": "approve", "name": "Phê duyệt", "role": "leader", "duration": 4, "unit": "hours"},
    {"key": "return", "name": "Trả kết quả", "role": "reception", "duration": 4, "unit": "hours"},
]


def test_the_heads_assignment_is_a_row_even_without_a_head_step(django_capture_on_commit_callbacks):
    dossier = DossierFactory(procedure_version__workflow_steps=NO_HEAD_TEMPLATE, code="000.00.99.T99-261124-0008")
    team = Team(dossier.receiving_agency)
    for user, name in ((team.reception, "Lê Thu Hà"), (team.head, "Đỗ Minh Quân"), (team.specialist, "Vũ Thị Lan")):
        user.full_name = name
        user.save(update_fields=["full_name"])
    dossier = to_processing(dossier, team)
    slip = slip_control_sheet_request(user=team.head, dossier_id=dossier.pk)
    rows = [(h["name"], h["giver"], h["receiver"]) for h in _control_sheet_context(refresh(dossier), slip)["handovers"]]
    assert rows[:2] == [
        ("Tiếp nhận", "Lê Thu Hà", "Đỗ Minh Quân"),
        ("Phân công xử lý", "Đỗ Minh Quân", "Vũ Thị Lan"),
    ]
    assigned = DossierEvent.objects.get(dossier=dossier, action="assign").created_at
    assert _control_sheet_context(refresh(dossier), slip)["handovers"][1]["handed_at"] == timezone.localtime(assigned)
    assert rows[2][0] == "Thẩm định" and rows[2][1] == "Vũ Thị Lan"


# --- the footer cites the texts in force ------------------------------------------------------------


def test_the_footer_cites_the_texts_in_force(client):
    body = client.get("/procedures/").content.decode()
    assert "Nghị định 118/2025/NĐ-CP, Thông tư 03/2025/TT-VPCP" in body
    assert "61/2018" not in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/procedures/").content.decode()
    assert "Decree 118/2025/NĐ-CP" in english
