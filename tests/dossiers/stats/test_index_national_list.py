"""The service-quality index's transparency and progress groups on the national list (items
1.1–1.4, 2.1, 2.2 of the written description of Decision 766/QĐ-TTg's formulas and the national
point table), the average processing time tracked but never scored, the rule for an indicator
without data, and migration 0024 that brings a database seeded before to that list."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from dossiers import quality_seed
from dossiers.constants import Channel, FigureSource
from dossiers.models import DailyStat, IndexRule, IndexRuleSet, MonthlyStat
from dossiers.models.quality import rule_points_validate
from dossiers.stats import index as quality_index
from dossiers.stats import service
from procedures.constants import VersionStatus
from tests.factories import AgencyFactory
from tests.procedures.factories import DocumentRequirementFactory, ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("dossiers.migrations.0024_index_national_list")
SEEDED = dt.date(2022, 6, 23)
MARCH = dt.date(2026, 3, 1)
SYNC_ON = override_settings(NATIONAL_SYNC_URL="https://lgsp.example.vn/dvcqg/sync")


def period(key):
    return quality_index.period_parse(key, today=dt.date(2026, 12, 2))


def month_row(agency, month, channel, **counts):
    return MonthlyStat.objects.create(month=month, agency=agency, channel=channel, computed_at=timezone.now(), **counts)


def indicators(result) -> dict:
    return {i["key"]: i for g in result["groups"] for i in g["indicators"]}


def groups(result) -> dict:
    return {g["key"]: g for g in result["groups"]}


def test_the_seeded_transparency_and_progress_lines_are_the_national_list():
    rules = {r.indicator: r for r in quality_index.rule_set_for(MARCH)}
    transparency = {k: rules[k].max_points for k in ("publication", "public_update", "public_content", "national_sync")}
    assert transparency == {
        "publication": 6,
        "public_update": 4,
        "public_content": 2,
        "national_sync": 6,
    }
    assert sum(transparency.values()) == 18
    assert (rules["on_time"].max_points, rules["avg_processing_time"].max_points) == (20, 0)
    assert "public_progress" not in rules
    for key, item in (
        ("publication", "Mục 1.1"),
        ("public_update", "Mục 1.2"),
        ("public_content", "Mục 1.3"),
        ("national_sync", "Mục 1.4"),
        ("on_time", "Mục 2.1"),
        ("avg_processing_time", "Mục 2.2"),
    ):
        # Points from the national list (secondary: not the annex); no threshold is given for
        # them, so the portal's 100 % is an assumption, and each line cites its item.
        assert rules[key].max_points_source == FigureSource.SECONDARY, key
        assert rules[key].full_at_source == FigureSource.ASSUMPTION, key
        assert rules[key].note.startswith(item) and "Phụ lục của Quyết định chưa có trong tay" in rules[key].note
    assert sum(r.max_points for r in rules.values()) == 100
    basis = rules["on_time"].rule_set.basis
    assert "mục 1.1–1.4, 2.1" in basis and "chấm trên" in basis


def _procedure(*, steps="Bước 1: Nộp.", documents=1, agencies=None, **version):
    procedure = ProcedureFactory(agencies=agencies)
    found = ProcedureVersionFactory(procedure=procedure, steps_text=steps, **version)
    for n in range(documents):
        DocumentRequirementFactory(version=found, name=f"Giấy tờ {n}")
    return found


def test_public_content_is_counted_from_the_catalogue_for_the_province():
    agency = AgencyFactory()
    AgencyFactory()
    _procedure()  # complete
    _procedure()  # complete
    _procedure(steps="")  # no sequence
    _procedure(documents=0)  # no document
    _procedure(for_citizens=False, for_organisations=False)  # no applicant
    _procedure(channel_online=False, channel_in_person=False, channel_post=False)  # no method
    _procedure(agencies=[])  # no agency
    _procedure(status=VersionStatus.DRAFT, effective_date=None)  # not public: not counted
    _procedure(effective_date=dt.date(2099, 1, 1))  # not yet in force: not counted
    inactive = _procedure()
    inactive.procedure.is_active = False
    inactive.procedure.save()
    province = quality_index.index_compute(agency_ids=None, period=period("2026-03"))
    found = indicators(province)["public_content"]
    # 2 complete of the 7 in force: 28.57 %, full at 100 % → 2 × 0.2857… = 0.57
    assert (found["numerator"], found["denominator"], found["rate"], found["points"]) == (2, 7, 28.57, 0.57)
    assert {f["key"]: f["value"] for f in found["figures"]} == {"procedures_complete": 2, "procedures_public": 7}
    assert groups(province)["transparency"]["points"] == 0.57
    # For one agency the description does not compute it: left out, and said why.
    one = indicators(quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03")))
    assert one["public_content"]["available"] is False and one["public_content"]["points"] is None
    assert "chỉ tính chỉ số này cho cả tỉnh" in one["public_content"]["missing"]
    # An agency's scope holding every active agency is the province.
    everyone = frozenset(AgencyFactory._meta.model.objects.filter(is_active=True).values_list("pk", flat=True))
    assert (
        indicators(quality_index.index_compute(agency_ids=everyone, period=period("2026-03")))["public_content"][
            "points"
        ]
        == 0.57
    )


def test_publication_and_public_update_say_what_the_portal_lacks():
    found = indicators(quality_index.index_compute(agency_ids=None, period=period("2026-03")))
    for key in ("publication", "public_update"):
        assert found[key]["available"] is False and found[key]["points"] is None, key
        assert "quyết định công bố" in found[key]["missing"], key
        assert found[key]["status"] == "unavailable"


def test_sync_without_dossiers_scores_zero_as_its_description_says():
    agency = AgencyFactory()
    AgencyFactory()
    with SYNC_ON:
        result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    found = indicators(result)
    assert (found["national_sync"]["rate"], found["national_sync"]["points"]) == (0.0, 0.0)
    assert found["national_sync"]["status"] == "scored" and "mục 1.4" in found["national_sync"]["missing"]
    # Counted in what was scored (6 of 6), unlike on time, which has no rule for it and is left out.
    assert groups(result)["transparency"]["max_points_scored"] == 6.0
    assert found["on_time"]["status"] == "no_data" and found["on_time"]["points"] is None
    assert result["total"] == 0.0 and result["max_points_scored"] == 6.0
    assert "national_sync" not in {i["key"] for i in result["left_out"]}
    assert "on_time" in {i["key"] for i in result["left_out"]}


def test_the_average_processing_time_is_shown_and_never_scored():
    agency = AgencyFactory()
    AgencyFactory()
    # 3 + 1 resolved (one late) in 2 000 + 400 working minutes: 2 400 / 480 / 4 = 1.25 working days.
    month_row(agency, MARCH, Channel.ONLINE, resolved_on_time=3, processing_minutes=2000)
    month_row(agency, MARCH, Channel.COUNTER, resolved_late=1, processing_minutes=400)
    result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    found = indicators(result)["avg_processing_time"]
    assert (found["kind"], found["status"], found["value"], found["unit"]) == (
        "average",
        "tracked",
        1.25,
        "ngày làm việc",
    )
    assert found["points"] is None and found["max_points"] == 0.0 and found["rate"] is None
    assert {f["key"]: f["value"] for f in found["figures"]} == {
        "avg_processing_days": 1.25,
        "processing_minutes": 2400,
        "resolved": 4,
    }
    assert "không chấm điểm" in found["tracked_note"] and "mục 2.1" in found["tracked_note"]
    timeliness = groups(result)["timeliness"]
    # The whole 20 points go to the on-time rate: 3 / 4 → 15; the average adds nothing.
    assert (timeliness["points"], timeliness["max_points"], timeliness["max_points_scored"]) == (15.0, 20.0, 20.0)
    # Nothing resolved: no figure, and nothing left out of the total for it.
    empty = quality_index.index_compute(agency_ids=frozenset({AgencyFactory().pk}), period=period("2026-03"))
    nothing = indicators(empty)["avg_processing_time"]
    assert nothing["value"] is None and "Không có hồ sơ" in nothing["missing"]
    assert "avg_processing_time" not in {i["key"] for i in empty["left_out"]}


def test_the_average_comes_from_the_daily_rollup_through_the_monthly_one():
    agency = AgencyFactory()
    AgencyFactory()
    version = ProcedureVersionFactory()
    for day, minutes, resolved in ((dt.date(2026, 3, 2), 900, 2), (dt.date(2026, 3, 3), 540, 1)):
        DailyStat.objects.create(
            day=day,
            agency=agency,
            procedure=version.procedure,
            channel=Channel.ONLINE,
            resolved_on_time=resolved,
            processing_minutes=minutes,
            computed_at=timezone.now(),
        )
    service.stats_rollup_month(month=MARCH)
    assert MonthlyStat.objects.get(agency=agency, month=MARCH).processing_minutes == 1440
    found = indicators(quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03")))
    assert found["avg_processing_time"]["value"] == 1.0  # 1 440 / 480 / 3


def test_a_tracked_indicator_takes_no_points():
    with pytest.raises(ValidationError, match="chỉ theo dõi, không chấm điểm"):
        rule_points_validate([("avg_processing_time", Decimal("1")), ("on_time", Decimal("19"))])
    rule_points_validate([("avg_processing_time", Decimal("0")), ("on_time", Decimal("20"))])
    # Written past the admin, its points still count for nothing: 100 stays reachable.
    rule_set = IndexRuleSet.objects.create(name="Thử", effective_from=MARCH)
    IndexRule.objects.create(rule_set=rule_set, indicator="on_time", max_points=20, full_at=100)
    IndexRule.objects.create(rule_set=rule_set, indicator="avg_processing_time", max_points=80, full_at=100)
    agency = AgencyFactory()
    month_row(agency, MARCH, Channel.ONLINE, resolved_on_time=2, processing_minutes=960)
    result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    assert (result["total"], result["max_points"], result["max_points_scored"]) == (20.0, 20.0, 20.0)
    assert indicators(result)["avg_processing_time"]["max_points"] == 0.0


def test_the_admin_refuses_points_for_the_average(admin_client):
    rule_set = IndexRuleSet.objects.create(name="Thử", effective_from=MARCH)
    response = admin_client.post(
        f"/admin/dossiers/indexruleset/{rule_set.pk}/change/",
        {
            "name": "Thử",
            "effective_from": "2026-03-01",
            "basis": "",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-indicator": "avg_processing_time",
            "rules-0-max_points": "5",
            "rules-0-full_at": "100",
            "rules-0-max_points_source": "assumption",
            "rules-0-full_at_source": "assumption",
            "rules-0-note": "",
        },
    )
    assert response.status_code == 200 and "chỉ theo dõi, không chấm điểm" in response.content.decode()
    assert not rule_set.rules.exists()


def _province():
    province = AgencyFactory(name="UBND tỉnh Thử", code="000.00.00.T01")
    agency = AgencyFactory(name="Sở Thử", parent=province, code="000.00.01.T01")
    month_row(agency, MARCH, Channel.ONLINE, received=4, resolved_on_time=4, processing_minutes=1920)
    return province, agency


def test_the_no_data_rule_is_said_on_the_page_and_in_the_api(client):
    _province()
    body = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}).json()
    left = {i["key"]: i for i in body["left_out"]}
    # Scored for the province: on time 20, and 0 of e-result 6, digitised dossiers 4, reuse 2, shared
    # for reuse 4, population data 2 (the 4 dossiers have none of these); online with an e-result
    # (3.3) and online procedures (3.1) have no points. Fully online (no procedure offered fully
    # online), payment (no fee), satisfaction (no rating), the catalogue's items (no procedure in
    # force) have no data; publication, update, sync (off), certified copies and feedback no source.
    assert set(left) == {
        "publication",
        "public_update",
        "public_content",
        "national_sync",
        "e_certified_copy",
        "population_procedures",
        "fully_online",
        "payment_procedures",
        "payment_procedures_used",
        "online_payment",
        "feedback_on_time",
        "feedback_satisfied",
        "satisfaction",
    }
    assert left["fully_online"]["status"] == "no_data" and left["publication"]["status"] == "unavailable"
    assert left["public_content"]["status"] == "no_data"  # the test catalogue has no procedure in force
    assert (
        body["points_left_out"] == 6 + 4 + 2 + 6 + 2 + 2 + 12 + 2 + 2 + 6 + 6 + 6 + 6 == 100 - body["max_points_scored"]
    )
    assert body["total"] == 20.0 and body["max_points_scored"] == 38.0
    assert "không nói cách chấm điểm khi không có số liệu" in body["no_data_rule"]
    assert indicators(body)["avg_processing_time"]["value"] == 1.0  # 1 920 / 480 / 4
    english = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "says how to score an indicator without data" in english["no_data_rule"]
    page = client.get("/thong-ke/", {"month": "2026-03"}).text
    scored = page.split("data-index-scored>")[1].split("</span>")[0]
    assert "chấm được trên 38,0 điểm có số liệu" in scored
    assert "62,0 điểm của chỉ số chưa có số liệu không tính vào tổng" in scored
    note = page.split("data-index-no-data>")[1].split("</p>")[0]
    assert "không nói cách chấm điểm" in note and "đủ điều kiện toàn trình (12,0)" in note
    row = page.split('data-indicator="avg_processing_time"')[1].split("</tr>")[0]
    assert "1,0 ngày làm việc" in row and "Không chấm điểm" in row and "data-tracked" in row


# --------------------------------------------------------------------------- migration 0024


def _first_seed():
    """The 2022 rule set as migrations 0019 and 0022 seeded it before the national list (and its
    basis): transparency and progress as 0024 found them, digitisation and online as 0025 does."""
    rule_set = IndexRuleSet.objects.get(effective_from=SEEDED)
    rule_set.rules.all().delete()
    first = {
        **quality_seed.FIRST_LINES,
        **quality_seed.SECOND_LINES,
        "feedback_on_time": ("6", "100"),
        "feedback_satisfied": ("6", "100"),
        "satisfaction": ("6", "90"),
    }
    for indicator, (points, full_at) in first.items():
        IndexRule.objects.create(rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at)
    rule_set.basis = quality_seed.BASIS_766_FIRST
    rule_set.save()
    return rule_set


def _lines(rule_set) -> dict:
    return {r.indicator: (r.max_points, r.full_at) for r in rule_set.rules.all()}


def test_migration_0024_brings_the_first_seed_to_the_national_list():
    rule_set = _first_seed()
    assert sum(points for points, _ in _lines(rule_set).values()) == 100
    quality_seed.national_list_update(apps)
    lines = _lines(rule_set)
    assert "public_progress" not in lines
    assert {k: lines[k][0] for k in ("publication", "public_update", "public_content", "national_sync")} == {
        "publication": 6,
        "public_update": 4,
        "public_content": 2,
        "national_sync": 6,
    }
    assert (lines["on_time"][0], lines["avg_processing_time"][0]) == (20, 0)
    assert sum(points for points, _ in lines.values()) == 100
    assert IndexRule.objects.get(rule_set=rule_set, indicator="publication").note.startswith("Mục 1.1")
    rule_set.refresh_from_db()
    assert rule_set.basis == quality_seed.BASIS_766_0024
    # Run again: nothing changes; the digitisation and online groups wait for 0025.
    quality_seed.national_list_update(apps)
    assert _lines(rule_set) == lines and rule_set.rules.count() == 13 - 1 + 3
    assert {k: lines[k] for k in quality_seed.SECOND_LINES} == {
        k: (Decimal(p), Decimal(f)) for k, (p, f) in quality_seed.SECOND_LINES.items()
    }


def test_migration_0024_leaves_a_rule_set_an_admin_changed():
    rule_set = _first_seed()
    IndexRule.objects.filter(rule_set=rule_set, indicator="public_progress").update(max_points=5)
    IndexRule.objects.filter(rule_set=rule_set, indicator="on_time").update(max_points=21)
    before = _lines(rule_set)
    quality_seed.national_list_update(apps)
    assert _lines(rule_set) == before


def test_migration_0024_fills_the_monthly_processing_minutes_from_the_daily_rows():
    agency, other = AgencyFactory(), AgencyFactory()
    version = ProcedureVersionFactory()
    for day, channel, minutes in (
        (dt.date(2026, 3, 2), Channel.ONLINE, 100),
        (dt.date(2026, 3, 31), Channel.ONLINE, 20),
        (dt.date(2026, 3, 5), Channel.COUNTER, 7),
        (dt.date(2026, 4, 1), Channel.ONLINE, 1000),  # another month
    ):
        DailyStat.objects.create(
            day=day,
            agency=agency,
            procedure=version.procedure,
            channel=channel,
            processing_minutes=minutes,
            computed_at=timezone.now(),
        )
    for who, channel in ((agency, Channel.ONLINE), (agency, Channel.COUNTER), (other, Channel.ONLINE)):
        month_row(who, MARCH, channel)  # rolled up before the column: 0
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.FILL_PROCESSING_MINUTES)
    found = {(m.agency_id, m.channel): m.processing_minutes for m in MonthlyStat.objects.filter(month=MARCH)}
    assert found == {(agency.pk, "online"): 120, (agency.pk, "counter"): 7, (other.pk, "online"): 0}
