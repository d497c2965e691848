"""Forms 01, 02 and 03 of Circular 01/2018/TT-VPCP: issued on receive, request supplement and refuse.

Each action renders exactly one real PDF on commit (read back with pdftotext), once; a rolled-back
action enqueues nothing; the slip shows on the applicant's dossier page and downloads only for them.
"""

import subprocess

import pytest
from django.db import transaction
from django.utils import timezone

from dossiers import services, tasks
from dossiers.constants import SlipKind
from dossiers.models import DossierEvent, Slip
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.procedures.factories import DocumentRequirementFactory, FeeFactory

pytestmark = pytest.mark.django_db

APPLICANT = "Lê Thị Hồng Nhung"
OFFICER = "Phạm Quốc Trưởng"
REASON_SCAN = "Bản scan mờ, không đọc được số giấy chứng sinh"
REASON_FIELD = "Họ tên người yêu cầu không khớp với giấy tờ tùy thân"
REFUSAL = "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân cấp xã"


@pytest.fixture
def dossier():
    applicant = UserFactory(full_name=APPLICANT)
    dossier = DossierFactory(applicant=applicant, code="000.00.99.T99-261123-0042")
    version = dossier.procedure_version
    version.result_place = "Bộ phận Một cửa Ủy ban nhân dân phường Bến Thành"
    version.save(update_fields=["result_place"])
    FeeFactory(version=version, amount=8000, description="Lệ phí cấp bản sao trích lục")
    DocumentRequirementFactory(version=version, name="Giấy chứng sinh", order=2)
    DossierDocumentFactory(dossier=dossier, is_original=True, copies=1)
    return dossier


@pytest.fixture
def officer(dossier):
    user = UserFactory(full_name=OFFICER)
    OfficerMembershipFactory(user=user, agency=dossier.receiving_agency, role=OfficerRole.RECEPTION)
    return user


def _act(name, *, dossier, officer):
    if name == "receive":
        return services.dossier_receive(user=officer, dossier_id=dossier.pk)
    if name == "request_supplement":
        version = dossier.procedure_version
        field = version.form_schema["fields"][0]["name"]
        items = [
            {"requirement_id": version.documents.get(name="Giấy chứng sinh").pk, "reason": REASON_SCAN},
            {"field": field, "reason": REASON_FIELD},
        ]
        return services.dossier_request_supplement(user=officer, dossier_id=dossier.pk, items=items)
    return services.dossier_refuse(user=officer, dossier_id=dossier.pk, reason=REFUSAL)


def _text(slip, tmp_path) -> str:
    pdf = slip.file.read()
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / f"slip-{slip.pk}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # pdftotext breaks long lines; compare on single spaces


KINDS = {"receive": SlipKind.RECEIPT, "request_supplement": SlipKind.SUPPLEMENT, "refuse": SlipKind.REFUSAL}


@pytest.mark.parametrize("action", list(KINDS))
def test_each_reception_action_issues_its_form_once(
    action, dossier, officer, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = _act(action, dossier=dossier, officer=officer)
    slip = Slip.objects.get(dossier=dossier)
    event = DossierEvent.objects.get(dossier=dossier, action=action)
    assert (slip.kind, slip.number, slip.event_seq) == (KINDS[action], 1, event.seq)
    text = _text(slip, tmp_path)
    assert dossier.code in text
    assert APPLICANT in text
    assert OFFICER in text
    if action == "receive":
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        due = timezone.localtime(dossier.due_at)
        assert f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in text
        assert f"ngày {timezone.localtime(dossier.received_at):%d/%m/%Y}" in text
        assert "Số: 0042/TN" in text
        assert "Bộ phận Một cửa Ủy ban nhân dân phường Bến Thành" in text
        assert "Lệ phí cấp bản sao trích lục: 8.000 đồng" in text
        assert "Tờ khai Bản chính 1" in text
    elif action == "request_supplement":
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
        assert REASON_SCAN in text and "Giấy chứng sinh" in text
        assert REASON_FIELD in text
    else:
        assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
        assert REFUSAL in text

    # The task running again (a retry, a redelivery) creates and renders nothing new.
    tasks.render_slip(dossier.pk, str(KINDS[action]), event.seq)
    services.slip_render(dossier_id=dossier.pk, kind=KINDS[action], event_seq=event.seq)
    assert Slip.objects.filter(dossier=dossier).count() == 1
    assert Slip.objects.get(dossier=dossier).file.name == slip.file.name


def test_a_second_supplement_request_is_slip_number_two(dossier, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _act("receive", dossier=dossier, officer=officer)
        _act("request_supplement", dossier=dossier, officer=officer)
    first = Slip.objects.get(dossier=dossier, kind=SlipKind.SUPPLEMENT)
    # A later event of the same kind (here forged with the next seq) gets number 2, not a clash.
    later = services.event_append(dossier=dossier, action="request_supplement", actor=officer, payload={"items": []})
    second = services.slip_render(dossier_id=dossier.pk, kind=SlipKind.SUPPLEMENT, event_seq=later.seq)
    assert (first.number, second.number) == (1, 2)
    assert second.file and second.file.name != first.file.name
    assert services.slip_render(dossier_id=dossier.pk, kind=SlipKind.SUPPLEMENT, event_seq=later.seq).pk == second.pk


def test_unknown_event_or_dossier_renders_nothing(dossier):
    assert services.slip_render(dossier_id=dossier.pk, kind=SlipKind.RECEIPT, event_seq=99) is None
    assert services.slip_render(dossier_id=987654, kind=SlipKind.RECEIPT, event_seq=1) is None
    assert not Slip.objects.exists()


@pytest.mark.parametrize("action", list(KINDS))
def test_a_rolled_back_action_enqueues_nothing(action, dossier, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _act(action, dossier=dossier, officer=officer)
            raise RuntimeError("boom")
    assert callbacks == []
    assert not Slip.objects.exists()
    assert not DossierEvent.objects.filter(dossier=dossier).exists()


def test_a_refused_action_enqueues_nothing(dossier, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(PermissionDenied):
            services.dossier_receive(user=UserFactory(), dossier_id=dossier.pk)
    assert callbacks == []
    assert not Slip.objects.exists()


@pytest.mark.parametrize("action", list(KINDS))
def test_the_slip_is_on_the_dossier_page_and_downloads_only_for_the_applicant(
    action, client, dossier, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _act(action, dossier=dossier, officer=officer)
    slip = Slip.objects.get(dossier=dossier)
    url = f"/files/slips/{slip.pk}/"
    client.force_login(dossier.applicant)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert url in page
    assert str(slip.get_kind_display()) in page
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF-")
    # A readable name that keeps the code intact, whatever the storage called the file (issue 19).
    expected = {
        "receive": "giay-tiep-nhan-ho-so-va-hen-tra-ket-qua",
        "request_supplement": "phieu-yeu-cau-bo-sung-hoan-thien-ho-so",
        "refuse": "phieu-tu-choi",
    }[action]
    disposition = response["Content-Disposition"]
    assert f"{expected}" in disposition and f"{dossier.code}.pdf" in disposition, disposition
    client.force_login(UserFactory())  # another citizen
    assert client.get(url).status_code == 404


def test_form_01_lists_the_fees_due_for_the_answers(dossier, officer, tmp_path, django_capture_on_commit_callbacks):
    """A fee per copy shows the count and the product, in the one money format (issue 19)."""
    FeeFactory(version=dossier.procedure_version, amount=8000, description="Phí bản sao", quantity_field="copies")
    dossier.form_data = {**dossier.form_data, "copies": 2}
    dossier.save(update_fields=["form_data"])
    with django_capture_on_commit_callbacks(execute=True):
        dossier = _act("receive", dossier=dossier, officer=officer)
    text = _text(Slip.objects.get(dossier=dossier), tmp_path)
    assert "Phí bản sao (2 × 8.000 đồng): 16.000 đồng" in text
