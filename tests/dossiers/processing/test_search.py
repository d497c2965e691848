"""Officer search and worklist filters (dossiers.search): the keys, every filter and its bad input,
the doors (page, API with session, API with token) for own agency / other agency / citizen /
anonymous, query counts, saved filters, exports and "next in my list"."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dossiers import search, worklists
from dossiers.constants import Channel, DossierState
from dossiers.models import SavedFilter
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.dossiers.helpers import officer_api, page_client
from tests.factories import AgencyFactory, DepartmentFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db
S = DossierState
SEARCH = "/officer/search/"
API = "/api/v1/officer/dossiers/"


@pytest.fixture
def desk():
    """Agency A (a leader, a specialist, a department) and agency B, with dossiers of both."""
    a, b = AgencyFactory(), AgencyFactory()
    department = DepartmentFactory(agency=a)
    leader = with_totp(OfficerMembershipFactory(agency=a, role=OfficerRole.LEADER).user)
    specialist = with_totp(OfficerMembershipFactory(agency=a, role=OfficerRole.SPECIALIST, department=department).user)
    stranger = with_totp(OfficerMembershipFactory(agency=b, role=OfficerRole.LEADER).user)
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[a, b]))
    other_version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[a]))
    now = timezone.now()

    def make(agency=a, **kwargs):
        kwargs.setdefault("procedure_version", version)
        kwargs.setdefault("procedure", kwargs["procedure_version"].procedure)
        return DossierFactory(receiving_agency=agency, **kwargs)

    d = {
        "an": make(
            applicant_name="Nguyễn Văn An",
            applicant_id_number="001203004005",
            applicant_phone="0912345678",
            state=S.PROCESSING,
            received_at=now - dt.timedelta(days=10),
            due_at=now - dt.timedelta(hours=2),
            assigned_to=specialist,
            department=department,
        ),
        "dang": make(
            applicant_name="Đặng Thị Bình",
            applicant_id_number="0101234567",  # an organisation's tax code
            state=S.RECEIVED,
            received_at=now - dt.timedelta(days=1),
            due_at=now + dt.timedelta(days=20),
            channel=Channel.COUNTER,
            procedure_version=other_version,
        ),
        "submitted": make(applicant_name="Trần Văn Cường"),
        "elsewhere": make(agency=b, applicant_name="Nguyễn Văn An", applicant_id_number="001203004005"),
        "draft": make(applicant_name="Nguyễn Văn An", state=S.DRAFT, code=None, submitted_at=None),
    }
    return {"a": a, "b": b, "leader": leader, "specialist": specialist, "stranger": stranger, "d": d,
            "department": department, "version": version, "other_version": other_version}  # fmt: skip


def found(user, **params) -> list[str]:
    scope = worklists.officer_scope(user=user)
    form = search.DossierSearchForm(params, scope=scope)
    assert form.is_valid(), form.errors
    page = search.dossier_search_page(scope=scope, data=form.cleaned_data, page_size=100)
    return [d.code for d in page.rows]


# --- the keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["Nguyễn Văn An", "nguyen van an", "NGUYEN VAN", "văn an", "  nguyễn   văn an "])
def test_name_is_found_without_accents_only_in_my_agencies(desk, q):
    assert found(desk["leader"], q=q) == [desk["d"]["an"].code]


def test_d_with_stroke_folds_to_d(desk):
    assert found(desk["leader"], q="dang thi") == [desk["d"]["dang"].code]


@pytest.mark.parametrize("q", ["001203004005", "0012 0300 4005", "0912345678", "+84 912 345 678", "091.234.5678"])
def test_id_number_and_phone(desk, q):
    assert found(desk["leader"], q=q) == [desk["d"]["an"].code]


def test_tax_code_and_code_and_its_beginning(desk):
    d = desk["d"]
    assert found(desk["leader"], q="0101234567") == [d["dang"].code]
    assert found(desk["leader"], q=d["submitted"].code) == [d["submitted"].code]
    assert found(desk["leader"], q=d["submitted"].code.lower()) == [d["submitted"].code]
    prefix = found(desk["leader"], q=d["an"].code.rsplit("-", 1)[0])
    assert set(prefix) == {d["an"].code, d["dang"].code, d["submitted"].code}  # never B's, never a draft


def test_other_agency_sees_only_its_own(desk):
    assert found(desk["stranger"], q="nguyen van an") == [desk["d"]["elsewhere"].code]
    assert found(desk["stranger"], q=desk["d"]["an"].code) == []


# --- the filters ---------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(desk):
    d, leader = desk["d"], desk["leader"]
    everything = {d["an"].code, d["dang"].code, d["submitted"].code}
    today = timezone.localdate()
    cases = {
        "procedure": ({"procedure": desk["other_version"].procedure.code}, {d["dang"].code}),
        "field": ({"field": str(desk["version"].procedure.sector_id)}, {d["an"].code, d["submitted"].code}),
        "status": ({"status": "4"}, {d["an"].code}),
        "channel": ({"channel": "counter"}, {d["dang"].code}),
        "overdue": ({"due": "overdue"}, {d["an"].code}),
        "within": ({"due": "within", "days": "60"}, {d["dang"].code}),
        "within-short": ({"due": "within", "days": "1"}, set()),
        "assignee": ({"assignee": str(desk["specialist"].pk)}, {d["an"].code}),
        "department": ({"department": str(desk["department"].pk)}, {d["an"].code}),
        "received_from": ({"received_from": (today - dt.timedelta(days=2)).isoformat()}, {d["dang"].code}),
        "received_to": ({"received_to": (today - dt.timedelta(days=5)).strftime("%d/%m/%Y")}, {d["an"].code}),
        "none": ({"status": "1"}, {d["submitted"].code}),
    }
    for name, (params, expected) in cases.items():
        got = set(found(leader, **params))
        assert got == expected, name
        assert got <= everything


def test_due_today(desk):
    d = desk["d"]
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    soon = min(now + dt.timedelta(minutes=5), start + dt.timedelta(hours=23, minutes=59))
    d["dang"].due_at = soon
    d["dang"].save(update_fields=["due_at"])
    assert found(desk["leader"], due="today") == [d["dang"].code]


def test_sorts(desk):
    d, leader = desk["d"], desk["leader"]
    active = {"status": ""}
    assert found(leader, sort="due", **active)[:2] == [d["an"].code, d["dang"].code]
    assert found(leader, sort="-received", q=d["an"].code.rsplit("-", 1)[0])[:2] == [d["dang"].code, d["an"].code]
    assert found(leader, sort="applicant", **active) == [d["dang"].code, d["an"].code, d["submitted"].code]


BAD = [
    ("q", "x\x00y", "Từ khóa chứa ký tự không hợp lệ."),
    ("q", "a" * 101, "Từ khóa tìm kiếm dài tối đa 100 ký tự."),
    ("q", "a", "Nhập ít nhất 2 ký tự của tên người nộp."),
    ("procedure", "9.999999", "Không tìm thấy thủ tục “9.999999” ở cơ quan của bạn."),
    ("procedure", "\x00", "Từ khóa chứa ký tự không hợp lệ."),
    ("field", "abc", "Lĩnh vực không hợp lệ."),
    ("field", "9" * 30, "Lĩnh vực không hợp lệ."),
    ("field", "987654", "Không tìm thấy lĩnh vực này."),
    ("status", "11", "Mã trạng thái phải là số nguyên từ 1 đến 10."),
    ("status", "1\x00", "Mã trạng thái phải là số nguyên từ 1 đến 10."),
    ("channel", "fax", "Kênh nộp không hợp lệ."),
    ("due", "tomorrow", "Thời hạn không hợp lệ."),
    ("days", "0", "Số ngày làm việc phải là số nguyên từ 1 đến 60."),
    ("days", "1e999", "Số ngày làm việc phải là số nguyên từ 1 đến 60."),
    ("assignee", "-1", "Người xử lý không hợp lệ."),
    ("assignee", "99999999999999999999", "Người xử lý không hợp lệ."),
    ("department", "x", "Phòng xử lý không hợp lệ."),
    ("received_from", "2026-02-30", "Ngày không hợp lệ, hãy chọn ngày theo lịch (ví dụ 25/11/2026)."),
    ("received_from", "0001-01-01", "Ngày phải nằm trong khoảng năm 2000 đến 2100."),
    ("received_to", "32/13/2026", "Ngày không hợp lệ, hãy chọn ngày theo lịch (ví dụ 25/11/2026)."),
    ("sort", "pk; drop table", "Cách sắp xếp không hợp lệ."),
    ("page_size", "1000", "Số dòng mỗi trang phải là 25, 50 hoặc 100."),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD, ids=[f"{n}-{i}" for i, (n, _v, _m) in enumerate(BAD)])
def test_bad_filter_is_a_clear_400_everywhere(desk, client, name, value, message):
    leader = desk["leader"]
    page_client(client, leader)
    if "\x00" in value:
        # A NUL byte is refused at the door, for every page and the API (portal.request_guard).
        message = "ký tự NUL"
    for url in (SEARCH, "/officer/worklists/overdue/", "/officer/worklists/to-assign/"):
        response = client.get(url, {name: value})
        assert response.status_code == 400, url
        assert message in response.content.decode(), url
    api = officer_api(leader).get(API, {name: value})
    assert api.status_code == 400
    if "\x00" in value:
        assert message in api.json()["error"]["message"]
    else:
        assert api.json()["error"]["fields"][name] == [message]


def test_unknown_ids_of_another_agency_are_refused(desk, client):
    page_client(client, desk["leader"])
    outsider = OfficerMembershipFactory(agency=desk["b"], role=OfficerRole.SPECIALIST).user
    response = client.get(SEARCH, {"assignee": outsider.pk, "department": DepartmentFactory(agency=desk["b"]).pk})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Người xử lý này không thuộc cơ quan của bạn." in body and "Phòng này không thuộc cơ quan của bạn." in body
    assert client.get(SEARCH, {"received_from": "2026-05-02", "received_to": "2026-05-01"}).status_code == 400


def test_bad_filter_in_english(desk, client):
    page_client(client, desk["leader"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages: the visitor's choice, not the header
    response = client.get(SEARCH, {"status": "99"})
    assert response.status_code == 400
    assert "The status code must be a whole number from 1 to 10." in response.content.decode()


# --- the doors -----------------------------------------------------------------------------------


def test_page_and_api_matrix(desk, client):
    d = desk["d"]
    q = {"q": "nguyen van an"}
    # own agency: page, session API, token API
    page = page_client(client, desk["leader"]).get(SEARCH, q)
    assert page.status_code == 200 and d["an"].code in page.content.decode()
    assert d["elsewhere"].code not in page.content.decode()
    session = APIClient()
    session.force_login(desk["leader"])
    for api in (session, officer_api(desk["leader"])):
        response = api.get(API, q)
        assert response.status_code == 200
        assert [r["code"] for r in response.json()["results"]] == [d["an"].code]
    # other agency: only its own
    assert [r["code"] for r in officer_api(desk["stranger"]).get(API, q).json()["results"]] == [d["elsewhere"].code]
    # a citizen: refused on every door
    citizen = UserFactory()
    client.force_login(citizen)
    assert client.get(SEARCH, q).status_code == 403
    citizen_api = APIClient()
    citizen_api.force_login(citizen)
    assert citizen_api.get(API, q).status_code == 403
    # an officer's token without the officer scope
    _token, raw = api_token_create(user=desk["leader"], name="read", scopes=["dossiers:read"])
    no_scope = APIClient()
    no_scope.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert no_scope.get(API, q).status_code == 403
    # anonymous
    client.logout()
    assert client.get(SEARCH, q).status_code == 302
    assert APIClient().get(API, q).status_code in (401, 403)


def test_api_paginates_with_next_and_previous(desk):
    for i in range(30):
        DossierFactory(receiving_agency=desk["a"], procedure_version=desk["version"], applicant_name=f"Lê Văn {i}")
    api = officer_api(desk["leader"])
    first = api.get(API, {"q": "le van", "page_size": "25"}).json()
    assert len(first["results"]) == 25 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None and second["previous"]
    assert api.get(API, {"q": "le van", "page": "abc"}).status_code == 404
    within = api.get(API, {"list": "to-assign"}).json()["results"]
    assert [r["code"] for r in within] == [desk["d"]["dang"].code]
    assert api.get(API, {"list": "nope"}).status_code == 400
    assert officer_api(desk["specialist"]).get(API, {"list": "to-assign"}).status_code == 403


def test_schema_documents_the_search(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/officer/dossiers/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "procedure", "field", "status", "channel", "due", "assignee", "department", "page"} <= names


# --- query counts --------------------------------------------------------------------------------


def _queries(get, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert get(url, params).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_the_rows(desk, client, django_assert_max_num_queries):
    page_client(client, desk["leader"])
    api = officer_api(desk["leader"])
    urls = [(SEARCH, {"q": "nguyen"}), ("/officer/worklists/overdue/", {"q": "nguyen", "sort": "-due"})]
    for url, params in urls:
        client.get(url, params)  # warm the caches (menu counts, filter choices)
    api.get(API, {"q": "nguyen"})  # the token's first use is recorded once
    few = [_queries(client.get, url, params) for url, params in urls] + [_queries(api.get, API, {"q": "nguyen"})]
    now = timezone.now()
    for _ in range(15):
        DossierFactory(receiving_agency=desk["a"], procedure_version=desk["version"], applicant_name="Nguyễn Hữu",
                       state=S.PROCESSING, due_at=now - dt.timedelta(hours=1), received_at=now)  # fmt: skip
    many = [_queries(client.get, url, params) for url, params in urls] + [_queries(api.get, API, {"q": "nguyen"})]
    assert few == many
    with django_assert_max_num_queries(12):
        client.get(SEARCH, {"q": "nguyen"})


# --- saved filters, exports, next in my list -----------------------------------------------------


def test_saved_filters_belong_to_their_officer(desk, client):
    leader, other = desk["leader"], with_totp(OfficerMembershipFactory(agency=desk["a"], role=OfficerRole.LEADER).user)
    page_client(client, leader)
    response = client.post(
        "/officer/worklists/overdue/filters/", {"name": "Quá hạn của tôi", "query": "q=nguyen&page=3"}
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=leader)
    assert (saved.list_name, saved.query) == ("overdue", "q=nguyen")
    assert "Quá hạn của tôi" in client.get("/officer/worklists/overdue/").content.decode()
    assert client.post("/officer/worklists/overdue/filters/", {"name": " ", "query": "q=x"}).status_code == 302
    assert SavedFilter.objects.count() == 1
    page_client(client, other)
    assert "Quá hạn của tôi" not in client.get("/officer/worklists/overdue/").content.decode()
    client.post(f"/officer/worklists/overdue/filters/{saved.pk}/delete/")
    assert SavedFilter.objects.filter(pk=saved.pk).exists()  # not the other officer's to delete
    page_client(client, leader)
    client.post(f"/officer/worklists/overdue/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()
    # a list that does not concern the officer cannot hold its filters
    assert (
        page_client(client, desk["specialist"])
        .post("/officer/worklists/to-assign/filters/", {"name": "x", "query": "q=ab"})
        .status_code
        == 403
    )


def test_csv_and_excel_exports_hold_the_filtered_list(desk, client):
    d = desk["d"]
    d["an"].applicant_name = '=HYPERLINK("http://evil")'
    d["an"].save(update_fields=["applicant_name"])
    page_client(client, desk["leader"])
    response = client.get(SEARCH, {"status": "4", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã hồ sơ", "Thủ tục", "Người nộp"]
    assert [r[0] for r in rows[1:]] == [d["an"].code]
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'  # neutralised, never a formula
    xlsx = client.get("/officer/worklists/to-assign/", {"q": "dang", "export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Mã hồ sơ" and [v[0] for v in values[1:]] == [d["dang"].code]
    assert client.get(SEARCH, {"q": "dang", "export": "pdf"}).status_code == 400


def test_next_in_my_list_keeps_the_list_and_its_filters(desk, client):
    d = desk["d"]
    page_client(client, desk["leader"])
    body = client.get(SEARCH, {"q": "an", "sort": "applicant"}).content.decode()
    assert f"/officer/dossiers/{d['an'].code}/?list=search&amp;pos=" in body
    response = client.get(f"/officer/worklists/search/next/?pos=0&q=van&sort=applicant&current={d['an'].code}")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/officer/dossiers/{d['submitted'].code}/?list=search&pos=1&")
    assert "q=van" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert 'id="next-in-list"' in page
    last = client.get(f"/officer/worklists/search/next/?pos=1&q=van&sort=applicant&current={d['submitted'].code}")
    assert last.status_code == 302 and last["Location"].startswith(SEARCH)
    assert client.get("/officer/worklists/to-assign/next/?pos=abc").status_code == 302
    assert page_client(client, desk["specialist"]).get("/officer/worklists/to-assign/next/").status_code == 403


def test_header_search_box_is_on_officer_pages_only(desk, client):
    body = page_client(client, desk["leader"]).get("/officer/worklists/").content.decode()
    assert 'id="officer-header-q"' in body and 'action="/officer/search/"' in body
    client.force_login(UserFactory())
    assert 'id="officer-header-q"' not in client.get("/procedures/").content.decode()
