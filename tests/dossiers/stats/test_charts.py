"""Charts: the dashboard's chart data (every element links to the dossiers behind it), the SVG
drawn for the PDF report, and the data tables beside the charts."""

import base64
import datetime as dt
from xml.etree import ElementTree

import pytest

from dossiers.stats import reports, service, svg
from portal.constants import OfficerRole
from tests.dossiers.stats.factories import PERIOD, officer

pytestmark = pytest.mark.django_db


def test_svg_bars_carry_their_label_and_value_in_text():
    drawn = svg.bar_chart_svg(title="Tỷ lệ đúng hạn", labels=["Sở A", "Sở B & C"], values=[75.0, None], unit="%")
    root = ElementTree.fromstring(drawn)  # noqa: S314 - our own output
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["Tỷ lệ đúng hạn", "Sở A", "75 %", "Sở B & C", "—"]
    bars = list(root.iter("{http://www.w3.org/2000/svg}rect"))
    assert len(bars) == 1 and float(bars[0].get("width")) == pytest.approx(270 * 0.75)
    assert base64.b64decode(svg.data_uri(drawn).split(",", 1)[1]).decode() == drawn


def test_the_pdf_report_carries_the_charts(tree):
    province, agency, sibling = tree
    report = reports.build_report(
        tree=service.agency_tree(),
        allowed=None,
        agency_id=province.pk,
        sub=True,
        procedure_id=None,
        sector_id=None,
        first_day=dt.date(2026, 3, 9),
        last_day=dt.date(2026, 3, 20),
        group="agency",
    )
    charts = reports.report_charts(report)
    assert len(charts) == 3
    first = base64.b64decode(charts[0].split(",", 1)[1]).decode()
    assert agency.name in first and "75 %" in first
    assert reports.report_pdf(report).startswith(b"%PDF")


def test_dashboard_charts_link_each_element_to_the_dossiers_behind_it(client, tree):
    province, agency, sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    response = client.get("/officer/stats/", {**PERIOD, "agency": province.pk})
    assert response.status_code == 200
    charts = response.context["charts"]
    ranking = charts["ranking_on_time"]
    assert ranking["labels"] == [agency.name]  # the sibling has nothing resolved: no rate to rank
    assert ranking["links"][0].endswith("figure=resolved") and f"agency={agency.pk}" in ranking["links"][0]
    overdue = charts["ranking_overdue"]
    assert overdue["series"][0]["values"][0] == 1 and "figure=in_progress_overdue" in overdue["links"][0]
    march = charts["trends"]["labels"].index("03/2026")
    assert "date_from=2026-03-01" in charts["trends"]["links"][march]
    assert {s["key"] for s in charts["trends"]["series"]} == {"received", "resolved", "on_time_rate", "online_share"}
    assert [g for g in charts["index_groups"]["labels"]][0] == "Công khai, minh bạch"
    # Every link opens a list that answers.
    for chart in charts.values():
        for link in chart["links"]:
            assert client.get(f"/officer/stats/dossiers/?{link}").status_code == 200
    # The data table alternative and the cards are on the page, linked the same way.
    assert 'data-chart-table="ranking_on_time"' in response.text and "stats-chart-cards" in response.text
    # Distinct point shapes and dashes: meaning does not rest on colour alone.
    shapes = [(s["point"], tuple(s["dash"])) for s in charts["trends"]["series"]]
    assert len(set(shapes)) == len(shapes)


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_chart_colour_reads_on_white_and_no_chart_tells_series_apart_by_colour_alone():
    """The series' colours (the dashboard's Chart.js charts, the JavaScript's fallback chart and
    the PDF's SVG bars) reach 4.5:1 on the white page, the ratio of text (WCAG 1.4.3; marks
    need only 3:1, 1.4.11), and two series of a chart never differ by colour alone."""
    import re
    from pathlib import Path

    from django.conf import settings

    from dossiers.stats import charts

    colours = {colour for colour, _point, _dash in charts.STYLES.values()} | {"#495057"}
    script = (Path(settings.BASE_DIR) / "static" / "js" / "stats.js").read_text()
    colours |= set(re.findall(r"#[0-9a-fA-F]{6}\b", script))
    colours |= {spec for spec in re.findall(r'"(#[0-9a-fA-F]{6})"', Path(reports.__file__).read_text())}
    assert len(colours) >= 6
    for colour in colours:
        assert _contrast(colour, "#ffffff") >= 4.5, (colour, round(_contrast(colour, "#ffffff"), 2))
    # Series drawn together: the trend chart's four, the index chart's points and maximum.
    together = [("received", "resolved", "on_time_rate", "online_share"), ("index", "index_max")]
    fallback = ("#495057", "rect", [4, 2])  # a series without its own style (the maximum points)
    for keys in together:
        shapes = [charts.STYLES.get(key, fallback)[1:] for key in keys]
        assert len({(point, tuple(dash)) for point, dash in shapes}) == len(keys), keys
    # The contrast computation itself: black on white is 21:1, and Bootstrap's grey #6c757d 4.69:1.
    assert round(_contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(_contrast("#6c757d", "#ffffff"), 2) == 4.69


def test_the_dashboard_scores_the_month_the_quarter_or_the_year_of_its_period(client, tree):
    """Decision 766 scores a month, a quarter and a year: the dashboard's "Kỳ của bộ chỉ số 766"
    picks the one holding the report's last day; the index chart's links open that period's
    dossiers; anything else is refused, in both languages."""
    province, agency, sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    page = client.get("/officer/stats/", {**PERIOD, "agency": province.pk})
    assert page.context["index_result"]["period"]["key"] == "2026-03"  # the default: the month
    assert 'name="index_period"' in page.text and "Kỳ của bộ chỉ số 766" in page.text
    for choice, key, first_day in (("quarter", "2026-Q1", "2026-01-01"), ("year", "2026", "2026-01-01")):
        response = client.get("/officer/stats/", {**PERIOD, "agency": province.pk, "index_period": choice})
        assert response.status_code == 200
        result = response.context["index_result"]
        assert result["period"]["key"] == key and result["period"]["first_day"] == first_day
        assert f"kỳ {key}" in response.text
        links = response.context["charts"]["index_groups"]["links"]
        assert all(f"date_from={first_day}" in link and f"index_period={choice}" in link for link in links)
        for link in links:
            assert client.get(f"/officer/stats/dossiers/?{link}").status_code == 200
    month = client.get("/officer/stats/", {**PERIOD, "agency": province.pk, "index_period": "month"})
    assert month.context["index_result"]["period"]["key"] == "2026-03"
    from django.conf import settings

    before = client.get("/officer/stats/", {**PERIOD, "index_period": "week"})
    assert before.status_code == 400 and "phải là tháng, quý hoặc năm" in before.text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    refused = client.get("/officer/stats/", {**PERIOD, "index_period": "week"})
    assert refused.status_code == 400 and "must be a month, a quarter or a year" in refused.text
