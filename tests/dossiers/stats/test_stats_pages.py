"""Statistics pages, exports, API, public page and scheduled reports: permissions, figures, bad input."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core import mail

from dossiers.models import StatsSubscription
from dossiers.stats import reports, service
from portal.constants import OfficerRole
from tests.dossiers.stats.factories import EXPECTED, FIRST, LAST, PERIOD, officer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/officer/stats/"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("citizen", 403),
        (OfficerRole.RECEPTION, 403),
        (OfficerRole.SPECIALIST, 403),
        (OfficerRole.DEPARTMENT_HEAD, 200),
        (OfficerRole.LEADER, 200),
        (OfficerRole.AGENCY_ADMIN, 200),
    ],
)
@pytest.mark.parametrize("path", [URL, "/officer/stats/report.xlsx", "/officer/stats/dossiers/?figure=received"])
def test_permission_matrix(client, tree, who, status, path):
    _, agency, _ = tree
    if who == "citizen":
        client.force_login(UserFactory())
    elif who != "anonymous":
        client.force_login(officer(agency, who))
    response = client.get(path, PERIOD if "?" not in path else None)
    assert response.status_code == status


def test_department_head_sees_only_its_agency(client, tree):
    province, agency, sibling = tree
    client.force_login(officer(sibling))
    response = client.get(URL, {**PERIOD, "agency": agency.pk})
    assert response.status_code == 400
    assert "Bạn không được xem thống kê của cơ quan này." in response.text
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    assert agency.name not in response.text
    listed = client.get("/officer/stats/dossiers/", {**PERIOD, "figure": "received"})
    assert listed.status_code == 200 and 'class="stats-dossier"' not in listed.text
    api = client.get("/api/v1/stats/", {**PERIOD, "agency": agency.pk})
    assert api.status_code == 400


def test_leader_of_the_province_drills_down_to_the_dossiers(client, tree, django_assert_max_num_queries):
    province, agency, sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    client.get(URL)  # warm the session and the live day
    with django_assert_max_num_queries(17):  # 16, and one for the petitions figure
        response = client.get(URL, PERIOD)
    assert response.status_code == 200
    rows = {entry["id"]: entry for entry in response.context["report"]["breakdown"]}
    assert list(rows) == [province.pk]
    assert response.context["report"]["totals"] == EXPECTED
    assert 'data-figure="on_time_rate">75,00 %' in response.text
    assert "Định nghĩa các chỉ tiêu" in response.text and "chart.umd.min.js" in response.text
    # Province → its agencies.
    response = client.get(URL, {**PERIOD, "agency": province.pk})
    rows = {entry["id"]: entry["figures"] for entry in response.context["report"]["breakdown"]}
    assert rows[agency.pk]["resolved_late"] == 1 and rows[sibling.pk]["received"] == 0
    assert rows[province.pk]["received"] == 0  # the province itself received nothing
    # Agency → procedures.
    response = client.get(URL, {**PERIOD, "agency": agency.pk, "sub": "0", "group": "procedure"})
    assert [e["figures"]["received"] for e in response.context["report"]["breakdown"]] == [8]
    # A number → its dossiers.
    with django_assert_max_num_queries(15):  # one for the second factor (the officer's authenticator)
        response = client.get("/officer/stats/dossiers/", {**PERIOD, "agency": agency.pk, "figure": "resolved_late"})
    assert len(response.context["rows"]) == 1
    assert response.context["rows"][0].original_due_at is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "abc"}, "Ngày không hợp lệ"),
        ({"date_from": "2026-03-20", "date_to": "2026-03-01"}, "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."),
        ({"date_from": "2020-01-01", "date_to": "2026-03-01"}, "Kỳ thống kê dài tối đa 3 năm."),
        ({"procedure": "999999"}, "Thủ tục không tồn tại."),
        ({"sector": "x"}, "Lĩnh vực không tồn tại."),
        ({"group": "bogus"}, "Cách chia chi tiết"),
        ({"sub": "maybe"}, "đơn vị trực thuộc"),
        ({"date_from": "2999-01-01", "date_to": "2999-01-02"}, "không thể bắt đầu sau ngày hôm nay"),
    ],
)
def test_bad_filters_are_explained(client, tree, params, message):
    client.force_login(officer(tree[0], OfficerRole.LEADER))
    for path in (URL, "/officer/stats/report.xlsx", "/officer/stats/dossiers/?figure=received"):
        response = (
            client.get(path, params)
            if "?" not in path
            else client.get(path + "&" + "&".join(f"{k}={v}" for k, v in params.items()))
        )
        assert response.status_code == 400, path
        assert message in response.text
    api = client.get("/api/v1/stats/", params)
    assert api.status_code == 400 and message in api.text


def test_unknown_figure_is_explained(client, tree):
    client.force_login(officer(tree[0], OfficerRole.LEADER))
    response = client.get("/officer/stats/dossiers/", {**PERIOD, "figure": "fees_online"})
    assert response.status_code == 400
    assert "không có danh sách hồ sơ" in response.text


def test_xlsx_and_pdf_exports(client, tree):
    province, agency, sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    response = client.get("/officer/stats/report.xlsx", {**PERIOD, "agency": province.pk})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(r for r in values if r and r[0] == "STT")
    total = next(r for r in values if r and r[1] == "Tổng cộng")
    row = dict(zip(header, total, strict=False))
    assert row["Mới tiếp nhận"] == 8 and row["Quá hạn"] == 1 and row["Tỷ lệ đúng hạn"] == 75.0
    assert row["Phí, lệ phí thu trực tuyến (đồng)"] == 50_000
    assert any(r and r[1] == agency.name and r[3] == 8 for r in values)
    pdf = client.get("/officer/stats/report.pdf", PERIOD)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_api_gives_the_same_figures(client, tree):
    province, agency, _ = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    response = client.get("/api/v1/stats/", {**PERIOD, "agency": province.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["figures"] == EXPECTED
    assert {r["id"]: r["figures"]["received"] for r in body["rows"]}[agency.pk] == 8
    assert "Tỷ lệ đúng hạn" in body["definitions"]["on_time_rate"]["label"]
    client.force_login(UserFactory())
    assert client.get("/api/v1/stats/").status_code == 403
    client.logout()
    assert client.get("/api/v1/stats/").status_code in (401, 403)


def test_public_page_and_api(client, tree):
    province, agency, _ = tree
    response = client.get("/thong-ke/", {"month": "2026-03", "agency": agency.pk})
    assert response.status_code == 200
    assert agency.name in response.text and "Tỷ lệ hài lòng" in response.text
    late = response.context["late"]
    assert len(late) == 1 and late[0].code in response.text
    assert "Nguyễn Văn Thử" not in response.text and late[0].applicant_name not in response.text
    march = {a["id"]: a["figures"] for a in response.context["agencies"]}[agency.pk]
    # The whole month: 8 in the period, 4 received 2–5 March, 1 on 23 March.
    assert (march["received"], march["resolved_late"]) == (13, 1)
    assert client.get("/thong-ke/", {"month": "2026-13"}).status_code == 400
    assert "Tháng không hợp lệ" in client.get("/thong-ke/", {"month": "x"}).text
    api = client.get("/api/v1/stats/public/", {"month": "2026-03"})
    assert api.status_code == 200
    assert api.json()["figures"]["on_time_rate"] is not None
    assert client.get("/api/v1/stats/public/", {"month": "bad"}).status_code == 400
    assert "/thong-ke/" in client.get("/").text


def test_public_page_reads_the_rollup_only(client, tree, django_assert_max_num_queries):
    client.get("/thong-ke/", {"month": "2026-03"})
    # The figures as before, plus the index of the month: its rule set, monthly roll-up, targets,
    # and the procedures paid online of item 3.5b (the monthly rows' lists).
    with django_assert_max_num_queries(9):
        assert client.get("/thong-ke/", {"month": "2026-03"}).status_code == 200


def test_monthly_report_mailed_once_to_subscribed_leaders(tree):
    province, agency, _ = tree
    leader = officer(province, OfficerRole.LEADER)
    reception = officer(province, OfficerRole.RECEPTION)
    StatsSubscription.objects.create(user=leader, agency=province)
    StatsSubscription.objects.create(user=reception, agency=province)  # no right to the figures
    assert reports.stats_send_monthly_reports(today=dt.date(2026, 4, 1)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [leader.email] and "03/2026" in message.subject
    name, content, _ = message.attachments[0]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert any(r and r[1] == "Tổng cộng" for r in sheet.iter_rows(values_only=True))
    assert reports.stats_send_monthly_reports(today=dt.date(2026, 4, 1)) == 0


def test_rollup_task_catches_up_and_is_idempotent(tree):
    from dossiers.models import DailyStat
    from dossiers.tasks import rollup_stats

    days = rollup_stats()
    from django.utils import timezone

    assert days[-1] == (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    count = DailyStat.objects.count()
    rollup_stats()
    assert DailyStat.objects.count() == count
    assert service.summarise(service.stats_rows(scope=service.Scope(), first_day=FIRST, last_day=LAST)) == EXPECTED
