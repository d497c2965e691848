"""Browser test of the leaders' statistics dashboard: the chart draws (vendored Chart.js), a
number drills down to its dossiers, and the periodic report downloads as XLSX with the figures."""

import io

import openpyxl
from playwright.sync_api import expect

from portal.constants import OfficerRole
from tests.factories import OfficerMembershipFactory

PERIOD = "date_from=2026-03-09&date_to=2026-03-20"


def test_leader_reads_the_dashboard_drills_down_and_exports(page, login, activate_totp, hand_built):
    agency, _ = hand_built
    leader = OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user
    activate_totp(leader)
    login(leader)
    page.goto(f"/officer/stats/?{PERIOD}")
    expect(page.locator("h1")).to_have_text("Thống kê tình hình giải quyết thủ tục hành chính")
    expect(page.locator("#stats-chart[data-ready='1']")).to_be_attached()
    assert page.evaluate("window.statsChart.data.labels").count("03/2026") == 1
    totals = page.locator(".stats-totals")
    expect(totals.locator("[data-figure='on_time_rate']")).to_have_text("75,00 %")
    expect(totals.locator("[data-figure='carried_over']")).to_have_text("3")
    expect(page.locator(".stats-definitions")).to_contain_text("hẹn trả đầu tiên")

    # Agency → its procedures → the late dossier behind the number.
    page.locator(".stats-breakdown .stats-by-procedure").first.click()
    expect(page.locator(".stats-breakdown .stats-row [data-figure='received']")).to_have_text("8")
    page.locator(".stats-breakdown .stats-row [data-figure='resolved_late'] a").click()
    expect(page.locator("h1")).to_have_text("Quá hạn")
    expect(page.locator(".stats-dossier")).to_have_count(1)
    expect(page.locator(".stats-dossier")).to_contain_text("hẹn đầu:")

    page.goto(f"/officer/stats/?{PERIOD}")
    with page.expect_download() as info:
        page.locator("[data-export='xlsx']").click()
    content = open(info.value.path(), "rb").read()  # noqa: PTH123, SIM115
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "STT")
    total = dict(zip(header, next(r for r in rows if r and r[1] == "Tổng cộng"), strict=False))
    assert (total["Mới tiếp nhận"], total["Quá hạn"], total["Tỷ lệ đúng hạn"]) == (8, 1, 75.0)
