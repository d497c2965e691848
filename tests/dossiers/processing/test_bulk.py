"""Bulk actions from the worklists (dossiers.bulk): a confirmation first, then each dossier through
the actions table with a result per row; the reception queue receives nothing in one click."""

import io
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from dossiers import bulk, services
from dossiers.constants import DossierState, SlipKind
from dossiers.models import Dossier, Slip
from portal import selectors as portal_selectors
from portal.constants import OfficerRole
from portal.models import OfficerMembership
from portal.run_cache import run_cache, run_cache_active
from tests.dossiers.factories import DossierFactory, Team
from tests.dossiers.helpers import page_client
from tests.factories import OfficerMembershipFactory, with_totp

pytestmark = pytest.mark.django_db
S = DossierState
BULK = "/officer/worklists/-/bulk/"


@pytest.fixture
def office():
    first = DossierFactory()
    team = Team(first.receiving_agency)
    for user in (team.reception, team.head, team.specialist, team.leader):
        with_totp(user)
    dossiers = [first] + [
        DossierFactory(receiving_agency=first.receiving_agency, procedure_version=first.procedure_version)
        for _ in range(3)
    ]
    return team, dossiers


def states(dossiers) -> list[str]:
    return [Dossier.objects.get(pk=d.pk).state for d in dossiers]


def test_reception_queue_receives_nothing_in_one_click(office, client):
    team, dossiers = office
    body = page_client(client, team.reception).get("/officer/reception/").content.decode()
    # "Tiếp nhận" is a link to a confirmation page, not a form that receives.
    assert (
        f'<a class="btn btn-sm btn-primary action-receive" href="/officer/reception/{dossiers[0].code}/receive/"'
        in body
    )
    assert f'action="/officer/reception/{dossiers[0].code}/receive/"' not in body
    confirm = client.get(f"/officer/reception/{dossiers[0].code}/receive/").content.decode()
    assert "Xác nhận tiếp nhận" in confirm and "Thông tin đã khai" in confirm and "Nguyễn Văn Thử" in confirm
    assert states(dossiers) == [S.SUBMITTED] * 4


def test_bulk_receive_asks_to_confirm_then_reports_each_row(office, client):
    team, dossiers = office
    services.dossier_receive(user=team.reception, dossier_id=dossiers[1].pk)  # another officer was faster
    page_client(client, team.reception)
    codes = [d.code for d in dossiers]
    step1 = client.post(BULK, {"action": "receive", "codes": codes, "back": "/officer/reception/"})
    assert step1.status_code == 200
    body = step1.content.decode()
    assert all(f'data-code="{c}"' in body for c in codes) and 'name="confirm" value="1"' in body
    assert states(dossiers) == [S.SUBMITTED, S.RECEIVED, S.SUBMITTED, S.SUBMITTED]  # nothing yet
    step2 = client.post(BULK, {"action": "receive", "codes": codes, "confirm": "1", "back": "/officer/reception/"})
    assert step2.status_code == 200
    results = step2.context["results"]
    assert [r.code for r in results] == codes
    assert [r.done for r in results] == [True, False, True, True]
    assert "đang ở trạng thái" in results[1].message or "Không thể" in results[1].message
    assert "Đã thực hiện 3/4 hồ sơ." in step2.content.decode()
    assert states(dossiers) == [S.RECEIVED] * 4
    assert [Dossier.objects.get(pk=d.pk).events_count for d in dossiers] == [1, 1, 1, 1]


def test_bulk_assign_runs_the_transition_per_dossier(office, client):
    team, dossiers = office
    for d in dossiers[:3]:
        services.dossier_receive(user=team.reception, dossier_id=d.pk)
    page_client(client, team.head)
    codes = [d.code for d in dossiers]
    confirm = client.post(BULK, {"action": "assign", "codes": codes, "back": "/officer/worklists/to-assign/"})
    assert confirm.status_code == 200 and team.specialist.full_name in confirm.content.decode()
    missing = client.post(BULK, {"action": "assign", "codes": codes, "confirm": "1"})
    assert missing.status_code == 400 and "Vui lòng chọn chuyên viên xử lý." in missing.content.decode()
    foreign = OfficerMembershipFactory(role=OfficerRole.SPECIALIST).user
    wrong = client.post(BULK, {"action": "assign", "codes": codes, "confirm": "1", "assignee": foreign.pk})
    assert wrong.status_code == 400
    assert states(dossiers) == [S.RECEIVED] * 3 + [S.SUBMITTED]
    done = client.post(BULK, {"action": "assign", "codes": codes, "confirm": "1", "assignee": team.specialist.pk})
    assert [r.done for r in done.context["results"]] == [True, True, True, False]
    assert states(dossiers) == [S.PROCESSING] * 3 + [S.SUBMITTED]
    assert {Dossier.objects.get(pk=d.pk).assigned_to_id for d in dossiers[:3]} == {team.specialist.pk}


def test_bulk_refuses_what_the_officer_may_not_do(office, client):
    team, dossiers = office
    results = bulk.bulk_perform(
        user=team.specialist, action="receive", codes=[dossiers[0].code, "000.00.00.X00-000000-9999"], params={}
    )
    assert [r.done for r in results] == [False, False]
    assert "không có quyền" in results[0].message
    assert results[1].message == "Không tìm thấy hồ sơ này trong cơ quan của bạn."
    stranger = with_totp(OfficerMembershipFactory(role=OfficerRole.RECEPTION).user)
    page_client(client, stranger)
    response = client.post(BULK, {"action": "receive", "codes": [dossiers[0].code], "confirm": "1"})
    assert response.context["results"][0].done is False
    assert states(dossiers)[0] == S.SUBMITTED
    for bad in ({"action": "delete", "codes": [dossiers[0].code]}, {"action": "receive", "codes": ["a/b", "!"]}):
        page_client(client, team.reception)
        assert client.post(BULK, bad).status_code == 302
    # A NUL byte is refused at the door for every form (portal.request_guard), before the list.
    response = client.post(BULK, {"action": "receive", "codes": ["\x00"]})
    assert response.status_code == 400 and "ký tự NUL" in response.content.decode()
    assert (
        client.post(BULK, {"action": "receive", "codes": [dossiers[0].code], "back": "https://evil.example/"}).context[
            "back"
        ]
        == "/officer/worklists/"
    )
    client.logout()
    assert client.post(BULK, {"action": "receive", "codes": [dossiers[0].code], "confirm": "1"}).status_code == 302
    assert states(dossiers)[0] == S.SUBMITTED


def text_pdf(*lines: str) -> bytes:
    """A PDF of one page per line, each page showing its line (Helvetica), to be read back."""
    writer = PdfWriter()
    for line in lines:
        page = writer.add_blank_page(width=300, height=200)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        content = StreamObject()
        content.set_data(f"BT /F1 14 Tf 20 100 Td ({line}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def receipt(dossier, *lines: str) -> Slip:
    slip = Slip.objects.create(dossier=dossier, kind=SlipKind.RECEIPT, number=1)
    slip.file.save("mau-01.pdf", ContentFile(text_pdf(*lines)), save=True)
    return slip


def test_bulk_slips_print_as_one_pdf_in_the_order_selected(office, client):
    team, dossiers = office
    receipt(dossiers[0], "RECEIPT-A-1", "RECEIPT-A-2")
    receipt(dossiers[2], "RECEIPT-C-1")
    # A dossier of another agency, its receipt rendered: never printed by this officer.
    foreign = DossierFactory()
    receipt(foreign, "FOREIGN-RECEIPT")
    page_client(client, team.reception)
    codes = [dossiers[2].code, dossiers[1].code, foreign.code, dossiers[0].code]
    listed = client.post(BULK, {"action": "slips", "codes": codes, "confirm": "1"})
    results = listed.context["results"]
    assert [(r.code, r.done) for r in results] == [(c, c in (dossiers[0].code, dossiers[2].code)) for c in codes]
    assert results[0].message == "Đã đưa vào tệp PDF (1 trang)."
    assert results[1].message == "Hồ sơ chưa có giấy tiếp nhận và hẹn trả kết quả."
    assert results[2].message == "Không tìm thấy hồ sơ này trong cơ quan của bạn."
    assert results[3].message == "Đã đưa vào tệp PDF (2 trang)."
    body = listed.content.decode()
    assert 'id="bulk-slips-download">' in body and "Tải một tệp PDF các giấy tiếp nhận để in" in body
    merged = client.post(BULK, {"action": "slips", "codes": codes, "confirm": "1", "download": "1"})
    assert merged["Content-Type"] == "application/pdf"
    assert merged["Content-Disposition"].startswith('attachment; filename="giay-tiep-nhan-')
    assert merged["Content-Disposition"].endswith('.pdf"')
    pages = [page.extract_text().strip() for page in PdfReader(io.BytesIO(merged.content)).pages]
    assert pages == ["RECEIPT-C-1", "RECEIPT-A-1", "RECEIPT-A-2"]
    # Read back by poppler too, as a printer driver would.
    text = subprocess.run(["pdftotext", "-", "-"], input=merged.content, capture_output=True, check=True).stdout
    assert text.decode().split() == ["RECEIPT-C-1", "RECEIPT-A-1", "RECEIPT-A-2"]


def test_bulk_slips_pdf_names_what_could_not_go_in(office, client):
    team, dossiers = office
    broken = Slip.objects.create(dossier=dossiers[0], kind=SlipKind.RECEIPT, number=1)
    broken.file.save("mau-01.pdf", ContentFile(b"%PDF-1.7 not really"), save=True)
    page_client(client, team.reception)
    codes = [dossiers[0].code, dossiers[1].code]
    listed = client.post(BULK, {"action": "slips", "codes": codes, "confirm": "1"})
    assert [r.done for r in listed.context["results"]] == [False, False]
    assert listed.context["results"][0].message == "Không đọc được tệp giấy tiếp nhận của hồ sơ này."
    assert 'id="bulk-slips-download" disabled>' in listed.content.decode()
    # Nothing to print: the results again, never an empty PDF.
    again = client.post(BULK, {"action": "slips", "codes": codes, "confirm": "1", "download": "1"})
    assert again.status_code == 200 and again["Content-Type"].startswith("text/html")
    # A specialist of another agency prints nothing of these dossiers.
    stranger = with_totp(OfficerMembershipFactory(role=OfficerRole.RECEPTION).user)
    receipt(dossiers[1], "RECEIPT-B")
    merged, results = bulk.bulk_slips_pdf(user=stranger, codes=[dossiers[1].code])
    assert merged == b"" and results[0].done is False


# Queries of one more dossier in a bulk assignment: the lock, the step closed and opened, the
# dossier saved, the event appended, the applicant's and the specialist's notices with their
# deliveries and outbox rows, the savepoint. The officer's permissions and departments, the
# specialist chosen and its department, the calendar and the specialist's notification
# preferences are read once per run (portal.run_cache): 25 queries a dossier before. (The
# applicant's preferences are read per applicant: one query fewer when two dossiers share one.)
BULK_ASSIGN_QUERIES_PER_DOSSIER = 18


def test_bulk_assign_reads_what_is_shared_once_per_run(office, client):
    team, dossiers = office
    dossiers += [
        DossierFactory(receiving_agency=team.agency, procedure_version=dossiers[0].procedure_version) for _ in range(3)
    ]
    for d in dossiers:
        services.dossier_receive(user=team.reception, dossier_id=d.pk)
    page_client(client, team.head)

    def assign(codes):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                BULK, {"action": "assign", "codes": codes, "confirm": "1", "assignee": team.specialist.pk}
            )
        assert [r.done for r in response.context["results"]] == [True] * len(codes)
        return [q["sql"] for q in queries.captured_queries]

    one = assign([dossiers[0].code])
    six = assign([d.code for d in dossiers[1:]])
    assert len(six) - len(one) <= 5 * BULK_ASSIGN_QUERIES_PER_DOSSIER
    # Still one lock, one event and one step opened per dossier: the runner is not bypassed.
    assert sum(" FOR UPDATE" in sql for sql in six) == 6
    assert sum(sql.startswith('INSERT INTO "dossiers_dossierevent"') for sql in six) == 6
    assert sum(sql.startswith('INSERT INTO "dossiers_dossierstep"') for sql in six) == 6
    assert states(dossiers) == [S.PROCESSING] * 7
    assert [Dossier.objects.get(pk=d.pk).events_count for d in dossiers] == [2] * 7
    # Outside a bulk run, nothing is cached: each read is made again.
    assert not run_cache_active()


def test_run_cache_lives_for_its_block_only(office):
    team, _dossiers = office
    agency_id = team.agency.pk
    with run_cache():
        assert "receive" in portal_selectors.officer_permissions(user=team.reception, agency_id=agency_id)
        OfficerMembership.objects.filter(user=team.reception).update(is_active=False)
        # Inside the run the answer read at its start stands...
        assert "receive" in portal_selectors.officer_permissions(user=team.reception, agency_id=agency_id)
    # ...and the next one reads again.
    assert portal_selectors.officer_permissions(user=team.reception, agency_id=agency_id) == frozenset()
