"""The dossier register (sổ theo dõi hồ sơ, form 06): filters, exports read back, permissions, query counts."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import register
from dossiers.constants import Channel
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.dossiers.helpers import page_client
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/officer/register/"
HEADER = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Tên tổ chức, cá nhân",
    "Địa chỉ, số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Ngày nhận hồ sơ",
    "Ngày hẹn trả kết quả",
    "Ngày trả kết quả",
    "Trạng thái, ghi chú",
]


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=HCM)


@pytest.fixture
def books():
    """An agency with three dossiers of two procedures, and one dossier of another agency."""
    agency = AgencyFactory(name="UBND phường Bến Thành")
    birth = OnlineVersionFactory(
        procedure=ProcedureFactory(code="1.001193", agencies=[agency]), name="Đăng ký khai sinh"
    )
    house = OnlineVersionFactory(
        procedure=ProcedureFactory(code="1.000001", agencies=[agency]), name="Cấp phép xây dựng"
    )
    returned = DossierFactory(
        procedure_version=birth,
        code="000.00.01.H29-260302-0001",
        applicant_name="Nguyễn Văn An",
        applicant_address="12 Lê Lợi",
        applicant_phone="0912345678",
        returned=True,
        submitted_at=at(2),
        received_at=at(2, 10),
        due_at=at(5, 17),
        resolved_at=at(4, 15),
        returned_at=at(4, 16),
    )
    counter = DossierFactory(
        procedure_version=house,
        code="000.00.01.H29-260303-0001",
        applicant=None,
        applicant_name='=HYPERLINK("http://x")',
        applicant_email="",
        channel=Channel.COUNTER,
        received=True,
        submitted_at=at(3),
        received_at=at(3),
        due_at=at(4, 17),
    )
    waiting = DossierFactory(procedure_version=birth, code="000.00.01.H29-260310-0001", submitted_at=at(10))
    DossierFactory(draft=True, procedure_version=birth)
    other = DossierFactory(code="000.00.02.H29-260302-0001", submitted_at=at(2))
    return agency, returned, counter, waiting, other


@pytest.fixture
def desk(client, books):
    agency = books[0]
    officer = with_totp(OfficerMembershipFactory(role=OfficerRole.SPECIALIST, agency=agency).user)
    return page_client(client, officer), officer, books


NOW = at(20)


def test_register_rows_of_my_agency_in_order(books):
    agency, returned, counter, waiting, other = books
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    rows = list(register.register_export_rows(register.register_dossiers(user=officer), now=NOW))
    assert [(r.number, r.code) for r in rows] == [(1, returned.code), (2, counter.code), (3, waiting.code)]
    first = rows[0]
    assert (first.procedure_name, first.applicant_name, first.address_phone, first.agency_name) == (
        "Đăng ký khai sinh",
        "Nguyễn Văn An",
        "12 Lê Lợi, 0912345678",
        "UBND phường Bến Thành",
    )
    assert (first.received_at, first.due_at, first.returned_at) == (at(2, 10), at(5, 17), at(4, 16))
    assert first.status_note == "Đã trả kết quả — Trước hạn"
    assert rows[1].status_note == "Đã tiếp nhận, chờ phân công — Quá hạn"
    # Never received: the register date is the filing date.
    assert (rows[2].received_at, rows[2].status_note) == (at(10), "Mới đăng ký")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [0, 1, 2]),
        ({"received_from": dt.date(2026, 3, 3)}, [1, 2]),
        ({"received_to": dt.date(2026, 3, 3)}, [0, 1]),
        ({"received_from": dt.date(2026, 3, 3), "received_to": dt.date(2026, 3, 3)}, [1]),
        ({"procedure_code": "1.001193"}, [0, 2]),
        ({"status_code": 10}, [0]),
        ({"status_code": 1}, [2]),
        ({"channel": Channel.COUNTER}, [1]),
        ({"channel": Channel.POST}, []),
    ],
)
def test_filters(books, filters, expected):
    agency, *dossiers, _other = books
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    codes = [r.code for r in register.register_export_rows(register.register_dossiers(user=officer, **filters))]
    assert codes == [dossiers[i].code for i in expected]


def test_agency_filter_never_reaches_another_agency(books):
    agency, *_rest, other = books
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    assert not register.register_dossiers(user=officer, agency_id=other.receiving_agency_id).exists()
    assert register.register_dossiers(user=officer, agency_id=agency.pk).count() == 3


# --- the page -------------------------------------------------------------------------------


def test_page_lists_my_register(desk, django_assert_max_num_queries):
    client, _officer, (agency, returned, counter, waiting, other) = desk
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for d in (returned, counter, waiting):
        assert d.code in body
    assert other.code not in body
    assert "Sổ theo dõi hồ sơ" in body and "Cơ quan chủ trì giải quyết" in body


def test_page_query_count_does_not_grow_with_rows(desk):
    client, _officer, (agency, returned, *_rest) = desk
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for _ in range(25):
        DossierFactory(procedure_version=returned.procedure_version, received=True)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.content.decode().count('class="register-row"') == 28
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("received_from=31/02/2026", "Ngày không hợp lệ"),
        ("received_to=abc", "Ngày không hợp lệ"),
        ("received_from=2026-03-10&received_to=2026-03-01", "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu"),
        ("status=11", "Mã trạng thái phải từ 1 đến 10"),
        ("status=x", "Mã trạng thái phải từ 1 đến 10"),
        ("channel=fax", "Kênh nộp không hợp lệ"),
        ("agency=999999", "Bạn không được xem sổ theo dõi của cơ quan này"),
        ("agency=abc", "Bạn không được xem sổ theo dõi của cơ quan này"),
        ("procedure=%3Cscript%3E", "Mã thủ tục chỉ gồm chữ, số và dấu chấm"),
        ("procedure=" + "1" * 40, "Mã thủ tục tối đa 32 ký tự"),
        ("received_from=2026-03-10&received_to=2026-03-01&export=csv", "Ngày kết thúc phải sau"),
    ],
)
def test_bad_filter_is_explained_not_a_500(desk, query, message):
    client, *_ = desk
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'class="register-row"' not in body


def test_filters_through_the_page(desk):
    client, _officer, (agency, returned, counter, waiting, _other) = desk
    body = client.get(f"{URL}?received_from=03/03/2026&received_to=2026-03-03&channel=counter").content.decode()
    assert counter.code in body and returned.code not in body and waiting.code not in body
    body = client.get(f"{URL}?agency={agency.pk}&procedure=1.001193&status=10").content.decode()
    assert returned.code in body and counter.code not in body and waiting.code not in body


def test_pagination_keeps_the_numbering(desk, monkeypatch):
    from dossiers.views import register as register_views

    monkeypatch.setattr(register_views, "PAGE_SIZE", 2)
    client, _officer, (_agency, _returned, _counter, waiting, _other) = desk
    body = client.get(f"{URL}?page=2").content.decode()
    assert waiting.code in body and "<td>3</td>" in body
    assert client.get(f"{URL}?page=abc").status_code == 200


# --- exports --------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_read_back(desk):
    client, _officer, (agency, returned, counter, waiting, _other) = desk
    response = client.get(f"{URL}?export=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0] == HEADER
    assert rows[1] == [
        "1",
        returned.code,
        "Đăng ký khai sinh",
        "Nguyễn Văn An",
        "12 Lê Lợi, 0912345678",
        "UBND phường Bến Thành",
        "02/03/2026 10:00",
        "05/03/2026 17:00",
        "04/03/2026 16:00",
        "Đã trả kết quả — Trước hạn",
    ]
    # A cell that would run as a formula is written as text.
    assert rows[2][3] == '\'=HYPERLINK("http://x")'
    assert [r[1] for r in rows[1:]] == [returned.code, counter.code, waiting.code]


def test_csv_export_of_a_filter(desk):
    client, *_rest = desk
    rows = _csv_rows(client.get(f"{URL}?export=csv&status=1"))
    assert len(rows) == 2 and rows[1][-1] == "Mới đăng ký"


def test_xlsx_export_read_back_with_real_dates(desk):
    client, _officer, (agency, returned, counter, waiting, _other) = desk
    response = client.get(f"{URL}?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER
    assert rows[1] == [
        1,
        returned.code,
        "Đăng ký khai sinh",
        "Nguyễn Văn An",
        "12 Lê Lợi, 0912345678",
        "UBND phường Bến Thành",
        dt.datetime(2026, 3, 2, 10, 0),
        dt.datetime(2026, 3, 5, 17, 0),
        dt.datetime(2026, 3, 4, 16, 0),
        "Đã trả kết quả — Trước hạn",
    ]
    assert sheet.cell(row=2, column=7).is_date
    # Not turned into a formula.
    formula_cell = sheet.cell(row=3, column=4)
    assert formula_cell.value == '=HYPERLINK("http://x")' and formula_cell.data_type == "s"
    assert rows[3][8] is None and len(rows) == 4


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow(desk, fmt):
    client, _officer, (_agency, returned, *_rest) = desk

    def export():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?export={fmt}")
            b"".join(response.streaming_content)
        return len(queries)

    few = export()
    for _ in range(30):
        DossierFactory(procedure_version=returned.procedure_version, received=True)
    assert export() == few


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_over_the_cap_is_refused_with_a_message(desk, monkeypatch, fmt):
    monkeypatch.setattr(register, "EXPORT_MAX_ROWS", 1)
    client, *_rest = desk
    response = client.get(f"{URL}?export={fmt}&channel=online", follow=True)
    assert response.redirect_chain[-1][0] == f"{URL}?channel=online"
    assert "Có 2 hồ sơ khớp bộ lọc, vượt quá giới hạn xuất 1 dòng" in response.content.decode()
    # Within the cap, the same export is delivered.
    assert client.get(f"{URL}?export={fmt}&status=1").status_code == 200


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "own", "status"),
    [
        (OfficerRole.RECEPTION, True, 200),
        (OfficerRole.SPECIALIST, True, 200),
        (OfficerRole.DEPARTMENT_HEAD, True, 200),
        (OfficerRole.LEADER, True, 200),
        (OfficerRole.AGENCY_ADMIN, True, 200),
        (OfficerRole.RECEPTION, False, 200),
        (None, False, 403),
    ],
)
@pytest.mark.parametrize("fmt", ["", "csv", "xlsx"])
def test_permission_matrix(client, books, role, own, status, fmt):
    agency, returned, counter, waiting, other = books
    if role is None:
        user = UserFactory()
    else:
        user = with_totp(OfficerMembershipFactory(role=role, agency=agency if own else other.receiving_agency).user)
    response = page_client(client, user).get(f"{URL}?export={fmt}" if fmt else URL)
    assert response.status_code == status
    if status != 200:
        return
    if fmt == "":
        content = response.content
    elif fmt == "csv":
        content = b"".join(response.streaming_content)
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        content = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row).encode()
    text = content.decode("utf-8-sig")
    mine = {returned.code, counter.code, waiting.code}
    if own:
        assert all(code in text for code in mine) and other.code not in text
    else:
        assert not any(code in text for code in mine) and other.code in text


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_officer_without_totp_is_sent_to_set_it_up(client, books):
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=books[0]).user
    response = page_client(client, officer).get(URL)
    assert response.status_code == 302 and "/officer/" not in response["Location"]


# --- the exports through an API client's bearer token ------------------------------------------


def _token(user, scopes) -> dict:
    _row, raw = api_token_create(user=user, name="register", scopes=list(scopes), by_operator="officer" in scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_token_exports_the_register_of_its_agencies_like_the_session(client, books, fmt):
    agency, returned, counter, waiting, other = books
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    response = client.get(f"{URL}?export={fmt}", **_token(officer, ("dossiers:read", "officer")))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        body = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row).encode()
    text = body.decode("utf-8-sig")
    assert all(d.code in text for d in (returned, counter, waiting)) and other.code not in text
    # Another agency, asked for by id: refused on its filter, in JSON, nothing exported.
    refused = client.get(
        f"{URL}?export={fmt}&agency={other.receiving_agency_id}", **_token(officer, ("dossiers:read", "officer"))
    )
    assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    assert refused.json()["errors"]["agency"] == ["Bạn không được xem sổ theo dõi của cơ quan này."]


def test_a_token_is_refused_without_both_scopes_or_with_bad_filters(client, books, monkeypatch):
    agency, *_rest = books
    officer = OfficerMembershipFactory(role=OfficerRole.LEADER, agency=agency).user
    missing = client.get(f"{URL}?export=csv", **_token(officer, ("dossiers:read",)))
    assert missing.status_code == 403 and "phạm vi “officer”" in missing.json()["detail"]
    citizen = client.get(f"{URL}?export=csv", **_token(UserFactory(), ("dossiers:read",)))
    assert citizen.status_code == 403
    both = _token(officer, ("dossiers:read", "officer"))
    bad = client.get(f"{URL}?export=csv&status=11&received_to=abc", **both)
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "Bộ lọc không hợp lệ.",
        "errors": {
            "received_to": ["Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."],
            "status": ["Mã trạng thái phải từ 1 đến 10."],
        },
    }
    english = client.get(f"{URL}?export=csv&status=11", HTTP_ACCEPT_LANGUAGE="en", **both)
    assert english.status_code == 400 and english.json()["detail"] == "The filter is not valid."
    monkeypatch.setattr(register, "EXPORT_MAX_ROWS", 1)
    capped = client.get(f"{URL}?export=xlsx", **both)
    assert capped.status_code == 400 and "vượt quá giới hạn xuất 1 dòng" in capped.json()["detail"]
