"""The service-quality index (Decision 766/QĐ-TTg): hand-computed cases from the roll-up, each
indicator's rule, the change of rule set at its effective date, the sum never above 100, the
mission's targets, the counters the roll-up keeps for it, and the API (officer and public)."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from dossiers import quality_seed
from dossiers.constants import Channel, DocumentReuse, DossierState, FigureSource, IndexIndicator, ResultStatus
from dossiers.models import (
    DailyStat,
    DossierDocument,
    DossierEvent,
    DossierResult,
    IndexRule,
    IndexRuleSet,
    MissionTarget,
    MonthlyStat,
    StoredDocument,
)
from dossiers.models.quality import rule_points_validate
from dossiers.stats import index as quality_index
from dossiers.stats import service
from portal.constants import OfficerRole
from portal.models import SyncRecord, SyncState
from tests.dossiers.factories import DossierDocumentFactory
from tests.dossiers.helpers import api_for, officer_api
from tests.dossiers.stats.factories import HCM, make, officer
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)
AVAILABLE = [i.key for i in quality_index.INDICATORS if i.source is not None]
# Scored for an agency whatever the settings; national sync needs NATIONAL_SYNC_URL (empty in the
# tests); item 1.3 is computed for the whole province only.
ALWAYS = [
    i.key
    for i in quality_index.INDICATORS
    if i.source is not None and i.unavailable_when is None and not i.province_only
]
SEEDED_KEYS = {line[0] for line in quality_seed.RULES_766}
# Seeded, but the portal lacks their data (1.1, 1.2: no announcement decision; electronic
# certified copies; feedback).
UNAVAILABLE = [
    i.key for i in quality_index.INDICATORS if i.source is None and i.kind == "rate" and i.key in SEEDED_KEYS
]
SYNC_ON = override_settings(NATIONAL_SYNC_URL="https://lgsp.example.vn/dvcqg/sync")


def month_row(agency, month, channel, **counts):
    return MonthlyStat.objects.create(month=month, agency=agency, channel=channel, computed_at=timezone.now(), **counts)


def period(key):
    return quality_index.period_parse(key, today=dt.date(2026, 12, 2))


def indicators(result) -> dict:
    return {i["key"]: i for g in result["groups"] for i in g["indicators"]}


def test_an_agency_at_full_points():
    agency = AgencyFactory()
    AgencyFactory()  # another agency: the first is not the whole province
    month_row(
        agency,
        MARCH,
        Channel.ONLINE,
        received=10,
        resolved_on_time=8,
        resolved_early=2,
        resolved_e_result=10,
        received_reuse=9,
        paid_online=5,
        paid_any=5,
        documents=12,
        documents_digitised=8,  # 8 of the 10 to digitise: 80 %, the threshold
        documents_exempt=2,
        received_synced=10,
        rating_very_satisfied=6,
        rating_satisfied=4,
        resolved_digitised=8,  # 8 of the 10 resolved: 80 %, the threshold of item 4.2
        received_store_reuse=10,
        received_population_data=10,
        received_full_level=10,
    )
    result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    found = indicators(result)
    for key in ALWAYS:
        assert found[key]["points"] == found[key]["max_points"], key
    # What the portal can score for an agency: 20 + (6 + 4 + 2 + 4 + 2) + (12 + 0 + 6) + 6 = 62 of
    # the seeded 100 (national sync off: its 6 points are left out and say why; 1.3, 3.1, 3.5,
    # 3.5b and 4.5a are the province's; no electronic certified copies; no feedback).
    assert result["total"] == 62.0 == result["max_points_scored"]
    assert result["points_left_out"] == 38.0
    assert {i["key"]: i["max_points"] for i in result["left_out"]} == {
        "publication": 6.0,
        "public_update": 4.0,
        "public_content": 2.0,
        "national_sync": 6.0,
        "e_certified_copy": 2.0,
        "population_procedures": 2.0,
        "payment_procedures": 2.0,
        "payment_procedures_used": 2.0,
        "feedback_on_time": 6.0,
        "feedback_satisfied": 6.0,
    }
    assert "Bản mô tả công thức chỉ tính" in found["public_content"]["missing"]
    assert found["national_sync"]["available"] is False and "NATIONAL_SYNC_URL" in found["national_sync"]["missing"]
    assert (found["digitised_dossiers"]["numerator"], found["digitised_dossiers"]["denominator"]) == (8, 10)
    # Items 3.1 and 3.3 have no points in the national table: the rate and its threshold, 0 points.
    assert (found["online_e_result"]["rate"], found["online_e_result"]["points"]) == (100.0, 0.0)
    assert found["online_e_result"]["full_at"] == 50.0
    with SYNC_ON:
        synced = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    assert indicators(synced)["national_sync"]["points"] == 6.0
    assert synced["total"] == 68.0 == synced["max_points_scored"]
    assert result["max_points"] == 100.0
    assert [(g["key"], g["max_points"]) for g in result["groups"]] == [
        ("transparency", 18.0),
        ("timeliness", 20.0),
        ("digitisation", 22.0),
        ("online", 22.0),
        ("satisfaction", 18.0),
    ]
    for key in UNAVAILABLE:
        assert found[key]["available"] is False and found[key]["points"] is None and found[key]["missing"]


def test_the_digitisation_and_sync_indicators_in_proportion_below_their_thresholds():
    agency = AgencyFactory()
    month_row(
        agency,
        MARCH,
        Channel.COUNTER,
        received=8,
        resolved_on_time=5,
        resolved_e_result=4,
        resolved_digitised=3,
        received_store_reuse=2,
        received_population_data=1,
        received_full_level=4,
        documents=11,
        documents_digitised=4,
        documents_exempt=1,
    )
    month_row(
        agency,
        MARCH,
        Channel.ONLINE,
        received=2,
        resolved_on_time=5,
        resolved_e_result=5,
        resolved_digitised=3,
        received_store_reuse=3,
        received_full_level=2,
        received_synced=2,
        documents=4,
        documents_digitised=4,
    )
    with SYNC_ON:
        result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    found = indicators(result)
    expected = {
        "e_result": (90.0, 5.4),  # 4.1: (4 + 5) / 10 resolved, full at 100 % → 6 × 0.9
        "digitised_dossiers": (60.0, 3.0),  # 4.2: (3 + 3) / 10, full at 80 % → 4 × 0.75
        "reuse": (0.0, 0.0),  # 4.3: none of the 10 received
        "shared_reuse": (50.0, 2.0),  # 4.4: (2 + 3) / 10 received, full at 100 % → 4 × 0.5
        "population_dossiers": (10.0, 0.2),  # 4.5b: 1 / 10 → 2 × 0.1
        "fully_online": (33.33, 4.0),  # 2 online of the 6 of fully-online procedures → 12 × 1/3
        "national_sync": (20.0, 1.2),  # 1.4: 2 of 10 received synced, full at 100 % → 6 × 0.2
    }
    for key, (rate, points) in expected.items():
        assert (found[key]["rate"], found[key]["points"]) == (rate, points), key
    assert {f["key"]: f["value"] for f in found["fully_online"]["figures"]} == {
        "received_full_level_online": 2,
        "received_full_level": 6,
    }
    groups = {g["key"]: g for g in result["groups"]}
    assert groups["transparency"]["points"] == 1.2 and groups["transparency"]["max_points_scored"] == 6.0
    # 5.4 + 3.0 + 0 + 2.0 + 0.2 of 6 + 4 + 2 + 4 + 2 (certified copies unavailable, 4.5a the province's)
    assert (groups["digitisation"]["points"], groups["digitisation"]["max_points_scored"]) == (10.6, 18.0)
    # The document-level digitisation stays a mission target: (4 + 4) / (15 − 1 exempt).
    target = next(t for t in result["targets"] if t["key"] == "digitisation")
    assert (target["available"], target["value"], target["met"]) == (True, 57.14, False)


def test_an_agency_with_a_late_dossier_two_supplement_requests_and_a_low_online_share():
    agency = AgencyFactory()
    # Online: 3 received, 3 resolved on time with an electronic result.
    month_row(agency, MARCH, Channel.ONLINE, received=3, resolved_on_time=3, resolved_e_result=3, received_full_level=3)
    # Counter: 7 received; 5 in time (one of them after two supplement requests), 2 late.
    month_row(
        agency,
        MARCH,
        Channel.COUNTER,
        received=7,
        resolved_early=2,
        resolved_on_time=3,
        resolved_late=2,
        resolved_multi_supplement=1,
        resolved_e_result=5,
        received_reuse=4,
        received_full_level=7,
        paid_online=1,
        paid_any=4,
        rating_very_satisfied=3,
        rating_satisfied=5,
        rating_dissatisfied=2,
    )
    result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    found = indicators(result)
    expected = {
        # (8 in time − 1 with two supplement requests) / 10 = 70 % of 100 % → 20 × 0.7
        "on_time": (70.0, 14.0),
        "e_result": (80.0, 4.8),  # 4.1: 8 / 10, full at 100 % → 6 × 0.8
        "reuse": (40.0, 1.0),  # 4.3: 4 / 10, full at 80 % → 2 × 0.5
        "fully_online": (30.0, 3.6),  # 3 online of 10 of fully-online procedures → 12 × 0.3
        "online_e_result": (30.0, 0.0),  # 3.3: 3 / 10, full at 50 %, no points in the national table
        "online_payment": (25.0, 1.5),  # 3.6: 1 / 4, full at 100 % → 6 × 0.25
        "satisfaction": (80.0, 5.33),  # 5.4: 8 / 10, full at 90 % → 6 × 0.888…
    }
    for key, (rate, points) in expected.items():
        assert (found[key]["rate"], found[key]["points"]) == (rate, points), key
    assert found["on_time"]["numerator"] == 7 and found["on_time"]["denominator"] == 10
    assert {f["key"]: f["value"] for f in found["on_time"]["figures"]} == {
        "resolved_in_time": 8,
        "resolved_multi_supplement": 1,
        "resolved_late": 2,
        "resolved": 10,
    }
    groups = {g["key"]: g["points"] for g in result["groups"]}
    assert groups == {
        "transparency": 0.0,
        "timeliness": 14.0,
        "digitisation": 5.8,  # 4.8 + 1.0 (nothing digitised, shared or from the population database)
        "online": 5.1,  # 3.6 + 0 + 1.5
        "satisfaction": 5.33,
    }
    assert result["total"] == 30.23


def test_period_boundaries_from_the_dossiers_through_the_rollup(hand_built):
    """A dossier resolved at 23:59 on 31 March counts in March (and Q1), one at 00:00 on 1 April
    in April (and Q2); the year holds both."""
    agency, version = hand_built
    other = AgencyFactory()
    S = DossierState
    common = {"state": S.RESOLVED, "received_at": dt.datetime(2026, 3, 30, 9, tzinfo=HCM)}
    make(
        version,
        other,
        resolved_at=dt.datetime(2026, 3, 31, 23, 59, tzinfo=HCM),
        due_at=dt.datetime(2026, 4, 3, 17, tzinfo=HCM),
        **common,
    )
    make(
        version,
        other,
        resolved_at=dt.datetime(2026, 4, 1, 0, 0, tzinfo=HCM),
        due_at=dt.datetime(2026, 3, 31, 17, tzinfo=HCM),
        **common,
    )
    for day in (dt.date(2026, 3, 30), dt.date(2026, 3, 31), dt.date(2026, 4, 1)):
        service.stats_rollup_day(day=day)
    scope = frozenset({other.pk})

    def on_time(key):
        return indicators(quality_index.index_compute(agency_ids=scope, period=period(key)))["on_time"]

    assert (on_time("2026-03")["numerator"], on_time("2026-03")["denominator"]) == (1, 1)
    assert (on_time("2026-Q1")["numerator"], on_time("2026-Q1")["denominator"]) == (1, 1)
    assert (on_time("2026-04")["numerator"], on_time("2026-04")["denominator"]) == (0, 1)  # late
    assert (on_time("2026-Q2")["numerator"], on_time("2026-Q2")["denominator"]) == (0, 1)
    assert (on_time("2026")["numerator"], on_time("2026")["denominator"]) == (1, 2)
    assert on_time("2026")["points"] == 10.0


def test_the_time_spent_supplementing_is_not_counted():
    """The applicant holds a dossier from Monday 09:00 to Tuesday 09:00 supplementing it; the
    due date moves by those working hours (Wednesday 16:00 → Thursday 16:00). Resolved on
    Thursday at 10:00, after the first due date, it is on time for the index."""
    from dossiers import services
    from tests.dossiers.factories import make_pdf
    from tests.dossiers.reception.test_applicant_actions import _supplement_dossier

    dossier, requirement = _supplement_dossier(
        paused_at=dt.datetime(2026, 11, 16, 9, 0, tzinfo=HCM),
        due_at=dt.datetime(2026, 11, 18, 16, 0, tzinfo=HCM),
        received_at=dt.datetime(2026, 11, 13, 9, 0, tzinfo=HCM),
    )
    services.dossier_supplement_submit(
        user=dossier.applicant,
        dossier_id=dossier.pk,
        files={requirement.pk: ("a.pdf", make_pdf())},
        now=dt.datetime(2026, 11, 17, 9, 0, tzinfo=HCM),
    )
    dossier.refresh_from_db()
    assert dossier.due_at == dt.datetime(2026, 11, 19, 16, 0, tzinfo=HCM)
    resolved_at = dt.datetime(2026, 11, 19, 10, 0, tzinfo=HCM)
    type(dossier).objects.filter(pk=dossier.pk).update(state=DossierState.RESOLVED, resolved_at=resolved_at)
    service.stats_rollup_day(day=resolved_at.date())
    on_time = indicators(
        quality_index.index_compute(agency_ids=frozenset({dossier.receiving_agency_id}), period=period("2026-11"))
    )["on_time"]
    assert (on_time["numerator"], on_time["denominator"]) == (1, 1)
    assert on_time["points"] == on_time["max_points"]


def _event(dossier, seq, action, when):
    return DossierEvent.objects.create(
        dossier=dossier,
        seq=seq,
        action=action,
        created_at=when,
        prev_hash="0" * 64,
        hash=f"{dossier.pk:032d}{seq:032d}",
    )


def test_the_rollup_keeps_the_counters_of_the_index(hand_built):
    """Two supplement requests make an in-time dossier late for the index; an electronic result
    needs its code and its file; reuse is a document stored before the dossier was opened;
    fees paid at the counter count as paid, not as paid online."""
    _agency, version = hand_built
    agency = AgencyFactory()
    S = DossierState
    at = dt.datetime(2026, 5, 5, 9, tzinfo=HCM)
    resolved = {"state": S.RESOLVED, "received_at": at, "due_at": at + dt.timedelta(days=3)}
    twice = make(version, agency, resolved_at=at + dt.timedelta(hours=5), **resolved)
    once = make(version, agency, resolved_at=at + dt.timedelta(hours=6), **resolved)
    for seq, who in enumerate((twice, twice, once), start=1):
        _event(who, seq, "request_supplement", at - dt.timedelta(days=1))
    stored = StoredDocument.objects.create(
        owner=once.applicant,
        name="kq.pdf",
        file="x/kq.pdf",
        mime_type="application/pdf",
        size=1,
        sha256="a" * 64,
        created_at=at - dt.timedelta(days=30),
    )
    DossierResult.objects.create(
        dossier=once, number=1, code="KQ-1", title="Kết quả", stored=stored, status=ResultStatus.FINAL
    )
    DossierResult.objects.create(dossier=twice, number=1, code="KQ-2", title="Dự thảo", status=ResultStatus.FINAL)
    fresh = make(version, agency, state=S.RECEIVED, received_at=at, due_at=at + dt.timedelta(days=3))
    DossierDocument.objects.create(dossier=fresh, component_name="CCCD", stored=stored)
    counter = make(version, agency, channel=Channel.COUNTER, state=S.PROCESSING, received_at=at, due_at=at)
    _event(counter, 1, "payment_received", at + dt.timedelta(hours=1))
    service.stats_rollup_day(day=at.date())
    rows = DailyStat.objects.filter(agency=agency, day=at.date())
    totals = {
        f: sum(getattr(r, f) for r in rows)
        for f in ("resolved_multi_supplement", "resolved_e_result", "received_reuse", "paid_online", "paid_any")
    }
    assert totals == {
        "resolved_multi_supplement": 1,
        "resolved_e_result": 1,  # the result without a file is not electronic
        "received_reuse": 1,
        "paid_online": 0,
        "paid_any": 1,
    }
    month = MonthlyStat.objects.get(agency=agency, month=dt.date(2026, 5, 1), channel=Channel.ONLINE)
    assert (month.resolved_multi_supplement, month.resolved_e_result, month.received_reuse) == (1, 1, 1)


def test_the_rollup_counts_digitised_documents_and_synced_dossiers(hand_built):
    """Current documents of the dossiers received that day: digitised, exempt, neither; a
    superseded version is not counted. A dossier synced counts once its record is sent. A
    document from a national database is reuse (once-only)."""
    _agency, version = hand_built
    agency = AgencyFactory()
    at = dt.datetime(2026, 6, 3, 10, tzinfo=HCM)
    first = make(version, agency, state=DossierState.RECEIVED, received_at=at, due_at=at + dt.timedelta(days=3))
    second = make(version, agency, state=DossierState.RECEIVED, received_at=at, due_at=at + dt.timedelta(days=3))
    earlier = make(
        version, agency, state=DossierState.RECEIVED, received_at=at - dt.timedelta(days=1), due_at=at
    )  # another day: not counted
    digitised = {"digitised_at": at}
    DossierDocumentFactory(dossier=first, component_name="Tờ khai", **digitised)
    DossierDocumentFactory(dossier=first, component_name="CCCD", reuse=DocumentReuse.NATIONAL, **digitised)
    DossierDocumentFactory(dossier=first, component_name="Bản cũ", superseded_at=at, **digitised)
    DossierDocumentFactory(dossier=second, component_name="Giấy tờ giấy")  # not digitised
    DossierDocumentFactory(
        dossier=second, component_name="Bản chính", digitisation_exempt="Chỉ xuất trình để đối chiếu"
    )
    DossierDocumentFactory(dossier=earlier, component_name="Tờ khai", **digitised)
    for n, (dossier, state) in enumerate(((first, SyncState.SENT), (second, SyncState.FAILED), (earlier, "sent"))):
        SyncRecord.objects.create(
            dossier_id=dossier.pk, dossier_code=dossier.code, source=f"t-{n}", state=state, created_at=at
        )
    service.stats_rollup_day(day=at.date())
    rows = DailyStat.objects.filter(agency=agency, day=at.date())
    totals = {
        f: sum(getattr(r, f) for r in rows)
        for f in ("documents", "documents_digitised", "documents_exempt", "received_synced", "received_reuse")
    }
    assert totals == {
        "documents": 4,
        "documents_digitised": 2,
        "documents_exempt": 1,
        "received_synced": 1,
        "received_reuse": 1,
    }
    month = MonthlyStat.objects.get(agency=agency, month=dt.date(2026, 6, 1), channel=Channel.ONLINE)
    assert (month.documents, month.documents_digitised, month.documents_exempt, month.received_synced) == (4, 2, 1, 1)
    with SYNC_ON:
        result = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-06"))
    target = next(t for t in result["targets"] if t["key"] == "digitisation")
    assert (target["value"], indicators(result)["national_sync"]["rate"]) == (66.67, 50.0)


def test_each_figure_says_where_it_comes_from_on_the_page_and_in_the_api(client):
    """The decision's annex was not at hand: no seeded figure claims the text; the points of the
    national table and the thresholds the description gives are "secondary", a threshold it does
    not give "assumption", the groups' maxima "secondary" (news pages introducing the decision)."""
    rules = {r.indicator: r for r in quality_index.rule_set_for(dt.date(2026, 3, 1))}
    assert not any(FigureSource.TEXT in (r.max_points_source, r.full_at_source) for r in rules.values())
    described = ("digitised_dossiers", "reuse", "online_procedures", "online_e_result", "payment_procedures")
    for key in (*described, "satisfaction"):
        assert rules[key].full_at_source == FigureSource.SECONDARY, key
    for key in ("on_time", "e_result", "fully_online", "online_payment", "shared_reuse", "feedback_on_time"):
        assert rules[key].full_at_source == FigureSource.ASSUMPTION, key
    assert {r.max_points_source for r in rules.values()} == {FigureSource.SECONDARY}
    _province()
    body = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}).json()
    found = indicators(body)
    assert found["digitised_dossiers"]["full_at_source"] == "secondary"
    assert found["digitised_dossiers"]["full_at_source_label"] == "Theo bản mô tả thứ cấp, chưa đối chiếu văn bản"
    assert found["online_payment"]["full_at_source"] == "assumption"
    assert {g["key"]: g["max_points_source"] for g in body["groups"]} == dict.fromkeys(
        ("transparency", "timeliness", "digitisation", "online", "satisfaction"), "secondary"
    )
    english = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert indicators(english)["digitised_dossiers"]["full_at_source_label"].startswith("From a secondary description")
    page = client.get("/thong-ke/", {"month": "2026-03"}).text
    row = page.split('data-indicator="digitised_dossiers"')[1].split("</tr>")[0]
    threshold = row.split("data-full-at>")[1].split("</td>")[0]
    points = row.split("data-points>")[1].split("</td>")[0]
    assert "80,0 %" in threshold and 'data-source="secondary"' in threshold
    assert 'data-source="secondary"' in points
    row = page.split('data-indicator="online_payment"')[1].split("</tr>")[0]
    threshold = row.split("data-full-at>")[1].split("</td>")[0]
    assert 'data-source="assumption"' in threshold and "Giả định của cổng" in threshold
    # An admin who enters a line from the text sees no warning next to it.
    rule = rules["digitised_dossiers"]
    IndexRule.objects.filter(pk=rule.pk).update(full_at_source=FigureSource.TEXT)
    page = client.get("/thong-ke/", {"month": "2026-03"}).text
    row = page.split('data-indicator="digitised_dossiers"')[1].split("</tr>")[0]
    assert "data-source" not in row.split("data-full-at>")[1].split("</td>")[0]


@pytest.mark.parametrize("key", AVAILABLE)
def test_each_indicator_scores_full_at_its_threshold_and_in_proportion_below(key):
    rule = IndexRule.objects.get(rule_set__effective_from=dt.date(2022, 6, 23), indicator=key)
    full_at, max_points = rule.full_at, rule.max_points
    assert quality_index.indicator_points(
        numerator=int(full_at), denominator=100, max_points=max_points, full_at=full_at
    ) == (
        Decimal(full_at).quantize(Decimal("0.01")),
        max_points,
    )
    rate, points = quality_index.indicator_points(
        numerator=100, denominator=100, max_points=max_points, full_at=full_at
    )
    assert points == max_points  # never above the maximum
    half = int(full_at) // 2
    _rate, points = quality_index.indicator_points(
        numerator=half, denominator=100, max_points=max_points, full_at=full_at
    )
    assert points == (max_points * Decimal(half) / full_at).quantize(Decimal("0.01"))
    assert quality_index.indicator_points(numerator=0, denominator=0, max_points=max_points, full_at=full_at) == (
        None,
        None,
    )


def test_an_indicator_with_nothing_to_count_scores_nothing_and_says_so():
    result = quality_index.index_compute(agency_ids=frozenset({AgencyFactory().pk}), period=period("2026-03"))
    found = indicators(result)
    assert found["on_time"]["points"] is None and "Không có hồ sơ" in found["on_time"]["missing"]
    assert result["total"] == 0.0 and result["max_points_scored"] == 0.0


def test_the_rule_set_changes_at_its_effective_date():
    agency = AgencyFactory()
    for month in (MARCH, APRIL):
        month_row(agency, month, Channel.ONLINE, rating_very_satisfied=9, rating_dissatisfied=1, received=1)
    stricter = IndexRuleSet.objects.create(name="Thử: hài lòng 95%", effective_from=APRIL)
    IndexRule.objects.create(rule_set=stricter, indicator=IndexIndicator.SATISFACTION, max_points=18, full_at=95)
    march = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03"))
    april = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-04"))
    assert march["rule_set"]["effective_from"] == "2022-06-23"
    assert indicators(march)["satisfaction"]["points"] == 6.0  # 90 % reaches the 90 % threshold
    assert april["rule_set"]["effective_from"] == "2026-04-01"
    assert indicators(april)["satisfaction"]["points"] == 17.05  # 18 × 90 / 95
    assert set(indicators(april)) == {"satisfaction"}  # the new set scores only what it lists
    # A quarter is scored by the set in force on its first day.
    assert (
        quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-Q2"))["rule_set"][
            "effective_from"
        ]
        == "2026-04-01"
    )


def test_the_sum_never_goes_above_100():
    # 13 × 10 points written straight to the table (the admin refuses it): the total still stops at 100.
    generous = IndexRuleSet.objects.create(name="Thử: 130 điểm", effective_from=MARCH)
    for indicator in quality_index.INDICATORS:
        IndexRule.objects.create(rule_set=generous, indicator=indicator.key, max_points=10, full_at=1)
    chance = random.Random(22)
    for _ in range(200):
        figures = {k: chance.randint(0, 50) for k in quality_index.SOURCE_LABELS}
        figures["resolved"] = figures["resolved_in_time"] + figures["resolved_late"]
        result = quality_index.index_score(figures=figures, rules=list(generous.rules.all()))
        assert 0 <= result["total"] <= 100 and result["max_points"] == 100
        for group in result["groups"]:
            assert group["points"] <= group["max_points"]
    with pytest.raises(ValidationError, match="vượt quá 100"):
        rule_points_validate([("a", Decimal("60")), ("b", Decimal("40.01"))])
    rule_points_validate([("a", Decimal("60")), ("b", Decimal("40"))])


def test_the_mission_targets_with_the_date_they_apply_from():
    agency = AgencyFactory()
    for month in (dt.date(2025, 12, 1), dt.date(2026, 1, 1)):
        month_row(
            agency,
            month,
            Channel.ONLINE,
            received=10,
            resolved_on_time=10,
            resolved_e_result=9,
            rating_satisfied=92,
            rating_dissatisfied=8,
        )
    december = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2025-12"))["targets"]
    january = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-01"))["targets"]
    sat_2025 = next(t for t in december if t["key"] == "satisfaction")
    sat_2026 = next(t for t in january if t["key"] == "satisfaction")
    assert (sat_2025["target"], sat_2025["effective_from"], sat_2025["value"], sat_2025["met"]) == (
        90.0,
        "2025-01-01",
        92.0,
        True,
    )
    assert (sat_2026["target"], sat_2026["effective_from"], sat_2026["value"], sat_2026["met"]) == (
        95.0,
        "2026-01-01",
        92.0,
        False,
    )
    assert "1565/QĐ-TTg" in sat_2026["basis"]
    by_key = {t["key"]: t for t in january}
    assert by_key["fully_online"]["value"] == 90.0 and by_key["e_result"]["value"] == 90.0
    assert by_key["on_time"]["value"] == 100.0 and by_key["on_time"]["met"] is True
    # No document counted in the month: the digitisation target has no figure, and says nothing is met.
    assert by_key["digitisation"]["value"] is None and by_key["digitisation"]["met"] is None
    MissionTarget.objects.create(key="e_result", target=50, effective_from=dt.date(2026, 1, 15))
    later = quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-02"))["targets"]
    assert next(t for t in later if t["key"] == "e_result")["target"] == 50.0


@pytest.mark.parametrize(
    ("raw", "kind", "first", "last"),
    [
        ("2026-02", "month", "2026-02-01", "2026-02-28"),
        ("2026-Q4", "quarter", "2026-10-01", "2026-12-31"),
        ("2024", "year", "2024-01-01", "2024-12-31"),
    ],
)
def test_periods(raw, kind, first, last):
    p = period(raw)
    assert (p.kind, p.first_day.isoformat(), p.last_day.isoformat()) == (kind, first, last)


# --------------------------------------------------------------------------- API


def _province():
    province = AgencyFactory(name="UBND tỉnh Thử", code="000.00.00.T01")
    agency = AgencyFactory(name="Sở Thử", parent=province, code="000.00.01.T01")
    sibling = AgencyFactory(name="Sở Anh em", parent=province, code="000.00.02.T01")
    month_row(agency, MARCH, Channel.ONLINE, received=4, resolved_on_time=4, rating_satisfied=1)
    month_row(sibling, MARCH, Channel.COUNTER, received=4, resolved_late=4)
    return province, agency, sibling


def test_api_gives_the_index_of_an_agency_to_its_officers(client):
    province, agency, sibling = _province()
    client.force_login(officer(province, OfficerRole.LEADER))
    response = client.get("/api/v1/stats/index/", {"agency": agency.pk, "period": "2026-03"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"total", "groups", "period", "rule_set", "targets", "agency"}
    assert {"name", "points", "max_points", "indicators"} <= set(body["groups"][0])
    assert body["agency"]["code"] == agency.code and body["period"]["kind"] == "month"
    assert indicators(body)["on_time"]["points"] == 20.0
    whole = client.get("/api/v1/stats/index/", {"agency": province.code, "period": "2026-03"}).json()
    assert indicators(whole)["on_time"]["rate"] == 50.0  # 4 of 8, the province with its agencies


def test_api_index_is_refused_outside_the_officers_agencies(client):
    province, agency, sibling = _province()
    client.force_login(officer(sibling))
    response = client.get("/api/v1/stats/index/", {"agency": agency.pk, "period": "2026-03"})
    assert response.status_code == 403
    assert client.get("/api/v1/stats/index/", {"period": "2026-03"}).json()["groups"][1]["points"] == 0.0
    client.logout()
    assert client.get("/api/v1/stats/index/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("door", "whose", "status"),
    [
        ("session", "leader", 200),
        ("token", "leader", 200),
        ("token_without_officer_scope", "leader", 403),
        ("session", "sibling", 403),
        ("token", "sibling", 403),
        ("anonymous", None, 401),
    ],
)
def test_the_index_api_doors(client, door, whose, status):
    """Every door of ``GET /api/v1/stats/index/?agency=…``: an outside client with the officer's
    own token reads what the officer's session reads, and nothing more."""
    province, agency, sibling = _province()
    user = {"leader": officer(province, OfficerRole.LEADER), "sibling": officer(sibling), None: None}[whose]
    if door == "session":
        client.force_login(user)
        caller = client
    elif door == "token":
        caller = officer_api(user)
    elif door == "token_without_officer_scope":
        caller = api_for(user)
    else:
        caller = client
    response = caller.get("/api/v1/stats/index/", {"agency": agency.pk, "period": "2026-03"})
    assert response.status_code == status, response.content
    if status == 200:
        body = response.json()
        assert body["agency"]["code"] == agency.code
        assert indicators(body)["on_time"]["points"] == 20.0
    else:
        assert "groups" not in response.json()


def test_public_api_index_needs_no_sign_in(client):
    province, agency, sibling = _province()
    response = client.get("/api/v1/stats/public/index/", {"period": "2026-Q1"})
    assert response.status_code == 200 and response.json()["agency"] is None
    assert indicators(response.json())["on_time"]["denominator"] == 8
    one = client.get("/api/v1/stats/public/index/", {"agency": sibling.code, "period": "2026-03"}).json()
    assert indicators(one)["on_time"]["points"] == 0.0


@pytest.mark.parametrize(
    ("params", "field", "vietnamese", "english"),
    [
        ({"period": "2026-13"}, "period", "Kỳ đánh giá không hợp lệ", "The period is not valid"),
        ({"period": "march"}, "period", "Kỳ đánh giá không hợp lệ", "The period is not valid"),
        ({"period": "1999"}, "period", "từ năm 2000", "from 2000"),
        ({"period": "2999-01"}, "period", "sau ngày hôm nay", "after today"),
        ({"period": "2026-03", "agency": "999999"}, "agency", "không tồn tại", "does not exist"),
        ({"period": "2021-01"}, "period", "Chưa có bộ quy tắc", "No scoring rule set"),
    ],
)
def test_bad_parameters_are_explained_in_vietnamese_and_english(client, params, field, vietnamese, english):
    _province()
    before = MonthlyStat.objects.count()
    response = client.get("/api/v1/stats/public/index/", params)
    assert response.status_code == 400 and vietnamese in response.json()["error"]["fields"][field][0]
    response = client.get("/api/v1/stats/public/index/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and english in response.json()["error"]["fields"][field][0]
    assert MonthlyStat.objects.count() == before


def test_the_index_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/stats/index/" in schema and "/api/v1/stats/public/index/" in schema
    assert "Decision 766" in schema


def test_province_index_reads_the_monthly_rollup_only(client, django_assert_max_num_queries):
    _province()
    # Cold catalogue cache: 6 as before 0025, one for the catalogue's figures of 3.1, 3.5 and 4.5a
    # (one query, then cached) and one for the procedures paid online (3.5b, the monthly rows).
    with django_assert_max_num_queries(8) as captured:
        assert client.get("/api/v1/stats/public/index/", {"period": "2026-Q1"}).status_code == 200
    assert not any("dossiers_dossier" in q["sql"] for q in captured.captured_queries)
    assert not any("dossiers_dailystat" in q["sql"] for q in captured.captured_queries)


def test_the_seeded_rule_set_lists_every_indicator_out_of_100_and_cites_its_basis():
    rules = quality_index.rule_set_for(dt.date(2026, 1, 1))
    rule_set = rules[0].rule_set
    assert sum(r.max_points for r in rules) == 100
    retired = {"public_progress", "digitised", "online_share"}  # the first seed's lines off the national list
    assert {r.indicator for r in rules} == {i.key for i in quality_index.INDICATORS} - retired
    assert "766/QĐ-TTg" in rule_set.basis and all(r.note for r in rules)
