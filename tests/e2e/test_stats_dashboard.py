"""Browser test of the leaders' statistics dashboard: the chart draws (vendored Chart.js), a
number drills down to its dossiers, and the periodic report downloads as XLSX with the figures."""

import io

import openpyxl
from django.apps import apps
from playwright.sync_api import expect

from dossiers import quality_seed
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


def test_leader_clicks_a_bar_of_the_agency_ranking_and_lands_on_the_dossiers_behind_it(
    page, login, activate_totp, hand_built
):
    agency, _ = hand_built
    quality_seed.seed_defaults(apps)  # migration 0014's rule set, gone with an earlier test's flush
    leader = OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user
    activate_totp(leader)
    login(leader)
    page.goto(f"/officer/stats/?{PERIOD}")
    canvas = page.locator("canvas[data-chart='ranking_on_time'][data-ready='1']")
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    # The alternative for screen readers holds the same figures, with the same links.
    table = page.locator("[data-chart-table='ranking_on_time']")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody td").first).to_have_text("75,0")
    x, y = page.evaluate(
        """() => {
          const chart = window.statsCharts.ranking_on_time;
          const bar = chart.getDatasetMeta(0).data[0].getCenterPoint();
          const box = chart.canvas.getBoundingClientRect();
          return [box.left + bar.x, box.top + bar.y];
        }"""
    )
    page.mouse.click(x, y)
    page.wait_for_url("**/officer/stats/dossiers/**")
    assert "figure=resolved" in page.url and f"agency={agency.pk}" in page.url
    expect(page.locator("h1")).to_have_text("Đã giải quyết")
    expect(page.locator(".stats-dossier")).to_have_count(4)
    # The index by group is drawn too, and its table says what the portal cannot score yet.
    page.go_back()
    expect(page.locator("canvas[data-chart='index_groups'][data-ready='1']")).to_be_attached()
    expect(page.locator(".stats-index [data-indicator='feedback_on_time']")).to_contain_text("Chưa có số liệu")
    # Digitised dossiers (item 4.2) are scored from the roll-up, the threshold marked as from a secondary description.
    digitised = page.locator(".stats-index [data-indicator='digitised_dossiers']")
    expect(digitised).not_to_contain_text("Chưa có số liệu")
    expect(digitised.locator("[data-full-at] [data-source='secondary']")).to_have_text(
        "Theo bản mô tả thứ cấp, chưa đối chiếu văn bản"
    )
