"""The list behind a number: keyset pages, newest first, the same dossiers as the figure counts,
a bounded number of queries and no COUNT over the dossiers."""

from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.stats import service
from portal.constants import OfficerRole
from tests.dossiers.stats.factories import EXPECTED, FIRST, LAST, PERIOD, officer

pytestmark = pytest.mark.django_db
URL = "/officer/stats/dossiers/"


def walk(client, params) -> tuple[list[str], int]:
    """Every page of a list; returns the codes in order and how many pages it took."""
    codes, pages, extra = [], 0, {}
    while True:
        response = client.get(URL, {**params, **extra})
        assert response.status_code == 200
        pages += 1
        codes += [d.code for d in response.context["rows"]]
        following = response.context["next_query"]
        if not following:
            return codes, pages
        extra = dict(parse_qsl(following))


@pytest.mark.parametrize("who", ["province_leader", "department_head"])
@pytest.mark.parametrize("figure", ["received", "carried_over", "resolved", "in_progress_on_time", "refused"])
def test_pages_hold_every_dossier_of_the_figure_once_newest_first(client, tree, monkeypatch, who, figure):
    province, agency, _sibling = tree
    monkeypatch.setattr("dossiers.views.stats.LIST_PAGE_SIZE", 3)
    user = officer(province, OfficerRole.LEADER) if who == "province_leader" else officer(agency)
    client.force_login(user)
    codes, pages = walk(client, {**PERIOD, "figure": figure})
    scope = service.Scope(agency_ids=frozenset({agency.pk}))
    expected = service.dossiers_behind(figure=figure, scope=scope, first_day=FIRST, last_day=LAST)
    field = service.d.FIGURES_BY_KEY[figure].sorted_by
    assert codes == list(expected.order_by(f"-{field}", "-pk").values_list("code", flat=True))
    assert len(codes) == EXPECTED[figure]
    assert pages == max(1, -(-EXPECTED[figure] // 3))


def test_the_page_shows_the_rollup_count_and_reads_no_count(client, tree, django_assert_max_num_queries):
    province, _agency, _sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    client.get(URL, {**PERIOD, "figure": "received"})  # warm the session
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(16):
        response = client.get(URL, {**PERIOD, "figure": "received"})
    assert response.status_code == 200
    assert response.context["total"] == EXPECTED["received"] == len(response.context["rows"])
    assert "Tổng số: 8 hồ sơ" in response.text
    dossier_reads = [q["sql"] for q in captured.captured_queries if '"dossiers_dossier"' in q["sql"]]
    # One keyset read (a UNION ALL over the agencies) and one load of the page's rows.
    assert len(dossier_reads) == 2, dossier_reads
    assert "UNION ALL" in dossier_reads[0] and "LIMIT 51" in dossier_reads[0]
    assert not any("COUNT(" in sql.upper() for sql in dossier_reads)
    assert all("OFFSET" not in sql.upper() for sql in dossier_reads)


def test_query_count_does_not_grow_with_the_rows(client, tree, django_assert_max_num_queries, monkeypatch):
    province, _agency, _sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    client.get(URL, {**PERIOD, "figure": "received"})
    counts = []
    for size in (1, 50):
        monkeypatch.setattr("dossiers.views.stats.LIST_PAGE_SIZE", size)
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, {**PERIOD, "figure": "received"})
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("cursor", ["garbage", "2026-03-10T09:00:00~x", "2026-03-10T09:00:00~5", "~", "2026-99-01~3"])
def test_a_bad_page_cursor_is_explained(client, tree, cursor):
    province, _agency, _sibling = tree
    client.force_login(officer(province, OfficerRole.LEADER))
    response = client.get(URL, {**PERIOD, "figure": "received", "after": cursor})
    assert response.status_code == 400
    assert "Trang danh sách không hợp lệ" in response.text


def test_an_agency_outside_the_scope_lists_nothing_of_it(client, tree):
    """A department head of the sibling agency sees none of the hand-built agency's dossiers."""
    _province, _agency, sibling = tree
    client.force_login(officer(sibling))
    response = client.get(URL, {**PERIOD, "figure": "received"})
    assert response.status_code == 200
    assert response.context["rows"] == [] and response.context["total"] == 0
