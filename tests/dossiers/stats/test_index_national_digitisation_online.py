"""The service-quality index's digitisation, online-services and satisfaction groups on the national
list (items 4.1–4.5, the fully-online line, 3.1, 3.3, 3.5, 3.5b, 3.6 and 5.2–5.4 of the written
description of Decision 766/QĐ-TTg's formulas and the national point table): the seeded lines,
the roll-up's new counters, the catalogue's items for the province, and migration 0025 that
brings a database seeded before to that list (its counters filled from the dossiers)."""

import datetime as dt
import importlib
import types
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from dossiers import quality_seed
from dossiers.constants import Channel, DocumentReuse, DossierState, FigureSource, ResultStatus
from dossiers.models import (
    DailyStat,
    DossierResult,
    IndexRule,
    IndexRuleSet,
    MonthlyStat,
    NationalDataLookup,
    StoredDocument,
)
from dossiers.services import once_only
from dossiers.stats import definitions as d
from dossiers.stats import index as quality_index
from dossiers.stats import service
from procedures.constants import ServiceLevel
from tests.dossiers.factories import DossierDocumentFactory
from tests.dossiers.stats.factories import HCM, make, pay
from tests.factories import AgencyFactory
from tests.procedures.factories import DocumentRequirementFactory, FeeFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("dossiers.migrations.0025_index_national_list_digitisation_online")
SEEDED = dt.date(2022, 6, 23)
MARCH = dt.date(2026, 3, 1)
PLAIN_FORM = {"fields": [{"name": "note", "type": "text", "label": "Ghi chú"}]}
NO_GATEWAY = override_settings(PAYMENT_GATEWAY_URL="")


def period(key):
    return quality_index.period_parse(key, today=dt.date(2026, 12, 2))


def month_row(agency, month, channel, **counts):
    return MonthlyStat.objects.create(month=month, agency=agency, channel=channel, computed_at=timezone.now(), **counts)


def indicators(result) -> dict:
    return {i["key"]: i for g in result["groups"] for i in g["indicators"]}


def groups(result) -> dict:
    return {g["key"]: g for g in result["groups"]}


# --------------------------------------------------------------------------- the seeded lines

NATIONAL = {
    # key: (points, threshold, threshold's source, item cited first in the note)
    "e_result": (6, 100, FigureSource.ASSUMPTION, "Mục 4.1"),
    "digitised_dossiers": (4, 80, FigureSource.SECONDARY, "Mục 4.2"),
    "e_certified_copy": (2, 100, FigureSource.ASSUMPTION, "Cung cấp dịch vụ chứng thực bản sao điện tử"),
    "reuse": (2, 80, FigureSource.SECONDARY, "Mục 4.3"),
    "shared_reuse": (4, 100, FigureSource.ASSUMPTION, "Mục 4.4"),
    "population_dossiers": (2, 100, FigureSource.ASSUMPTION, "Mục 4.5 (4.5b"),
    "population_procedures": (2, 100, FigureSource.ASSUMPTION, "Mục 4.5 (4.5a"),
    "fully_online": (12, 100, FigureSource.ASSUMPTION, "Bảng điểm quốc gia"),
    "online_procedures": (0, 80, FigureSource.SECONDARY, "Mục 3.1"),
    "online_e_result": (0, 50, FigureSource.SECONDARY, "Mục 3.3"),
    "payment_procedures": (2, 80, FigureSource.SECONDARY, "Mục 3.5"),
    "payment_procedures_used": (2, 100, FigureSource.ASSUMPTION, "Mục 3.5b"),
    "online_payment": (6, 100, FigureSource.ASSUMPTION, "Mục 3.6"),
    "feedback_on_time": (6, 100, FigureSource.ASSUMPTION, "Mục 5.2"),
    "feedback_satisfied": (6, 100, FigureSource.ASSUMPTION, "Mục 5.3"),
    "satisfaction": (6, 90, FigureSource.SECONDARY, "Mục 5.4"),
}


def test_the_seeded_digitisation_online_and_satisfaction_lines_are_the_national_list():
    rules = {r.indicator: r for r in quality_index.rule_set_for(MARCH)}
    for key, (points, full_at, full_at_source, item) in NATIONAL.items():
        rule = rules[key]
        assert (rule.max_points, rule.full_at) == (points, full_at), key
        # The points are the national table's (secondary: not the annex); a threshold the
        # description gives is secondary, one it does not give the portal's assumption.
        assert (rule.max_points_source, rule.full_at_source) == (FigureSource.SECONDARY, full_at_source), key
        assert rule.note.startswith(item) and "Phụ lục của Quyết định chưa có trong tay" in rule.note, key
    assert "digitised" not in rules and "online_share" not in rules
    by_group = {}
    for spec in quality_index.INDICATORS:
        if spec.key in rules:
            by_group[spec.group] = by_group.get(spec.group, 0) + rules[spec.key].max_points
    assert by_group == {"transparency": 18, "timeliness": 20, "digitisation": 22, "online": 22, "satisfaction": 18}
    # The thresholds stay on their items: 80 % of 3.1 (procedures online), 50 % of 3.3
    # with the code-and-link rule, 80 % of 4.2 and 4.3, 80 % of 3.5, 90 % of 5.4.
    assert "mã và đường dẫn" in rules["online_e_result"].note
    assert "80 %" in rules["online_payment"].note and "mục 3.5" in rules["online_payment"].note
    basis = rules["e_result"].rule_set.basis
    assert basis == quality_seed.BASIS_766 and "4.1–4.5" in basis and "0 điểm" in basis


def test_the_population_prefills_are_those_the_filing_asks_the_database_for():
    assert quality_index.POPULATION_PREFILLS == frozenset(once_only.POPULATION_FIELDS)
    assert quality_index.POPULATION_DOCUMENTS == {"residence_confirmation", "birth_record"}


# --------------------------------------------------------------------------- the roll-up's counters


def _stored(owner, name="kq.pdf"):
    return StoredDocument.objects.create(
        owner=owner,
        name=name,
        file=f"x/{name}",
        mime_type="application/pdf",
        size=1,
        sha256="b" * 64,
        created_at=timezone.now(),
    )


def _result(dossier, *, stored=True, code="KQ"):
    DossierResult.objects.create(
        dossier=dossier,
        number=1,
        code=f"{code}-{dossier.pk}",
        title="Kết quả",
        stored=_stored(dossier.applicant) if stored else None,
        status=ResultStatus.FINAL,
    )


def _lookup(dossier, *, source="population", status="found"):
    NationalDataLookup.objects.create(
        dossier=dossier, user=dossier.applicant, source=source, fields=["full_name"], status=status, consent=True
    )


NEW = ("resolved_digitised", "received_store_reuse", "received_population_data", "received_full_level")


@pytest.fixture
def june():
    """A day of dossiers for the new counters (3 June 2026), one agency, a fully-online version
    and a partly-online one; returns (agency, day, full version, partial version)."""
    agency = AgencyFactory()
    full = ProcedureVersionFactory(service_level=ServiceLevel.FULL)
    partial = ProcedureVersionFactory(service_level=ServiceLevel.PARTIAL)
    at = dt.datetime(2026, 6, 3, 10, tzinfo=HCM)
    S = DossierState
    resolved = {"state": S.RESOLVED, "received_at": at, "due_at": at + dt.timedelta(days=3), "resolved_at": at}
    # 4.2: digitised components and an e-result; no digitised component; e-result without a file.
    both = make(full, agency, **resolved)
    DossierDocumentFactory(dossier=both, component_name="Tờ khai", digitised_at=at)
    _result(both)
    paper = make(full, agency, **resolved)
    DossierDocumentFactory(dossier=paper, component_name="Giấy tờ giấy")
    _result(paper)
    no_file = make(partial, agency, channel=Channel.COUNTER, **resolved)
    DossierDocumentFactory(dossier=no_file, component_name="Tờ khai", digitised_at=at)
    _result(no_file, stored=False)
    # 4.4: from the store (current) counts; from the national database or a superseded store copy not.
    received = {"state": S.RECEIVED, "received_at": at, "due_at": at + dt.timedelta(days=3)}
    store = make(partial, agency, **received)
    DossierDocumentFactory(dossier=store, component_name="CCCD", reuse=DocumentReuse.STORE, digitised_at=at)
    national = make(partial, agency, **received)
    DossierDocumentFactory(
        dossier=national, component_name="Xác nhận cư trú", reuse=DocumentReuse.NATIONAL, digitised_at=at
    )
    DossierDocumentFactory(
        dossier=national, component_name="Bản cũ", reuse=DocumentReuse.STORE, superseded_at=at, digitised_at=at
    )
    # 4.5b: a population look-up that found the person; one not found; the business registry.
    _lookup(store)
    _lookup(national, status="not_found")
    _lookup(paper, source="business")
    # Another day: not counted.
    make(full, agency, state=S.RECEIVED, received_at=at - dt.timedelta(days=1), due_at=at)
    # 3.5b: the fees of one dossier of each version paid online; of the partial one at the counter.
    pay(both, 50_000, at + dt.timedelta(hours=1))
    pay(store, 30_000, at + dt.timedelta(hours=1), status="failed")
    return agency, at.date(), full, partial


def _totals(agency, day) -> dict:
    rows = DailyStat.objects.filter(agency=agency, day=day)
    return {f: sum(getattr(r, f) for r in rows) for f in NEW}


def test_the_rollup_counts_the_national_list_counters(june):
    agency, day, full, partial = june
    service.stats_rollup_day(day=day)
    assert _totals(agency, day) == {
        "resolved_digitised": 1,  # components digitised and an e-result with its file
        "received_store_reuse": 1,  # a current document from the store
        "received_population_data": 1,  # the population database found the person
        "received_full_level": 2,  # both dossiers of the fully-online version, that day
    }
    online = MonthlyStat.objects.get(agency=agency, month=dt.date(2026, 6, 1), channel=Channel.ONLINE)
    assert [getattr(online, f) for f in NEW] == [1, 1, 1, 2]
    # Only the fully-online version had a fee paid online (the other payment failed).
    assert online.paid_online_procedures == [full.procedure_id]
    counter = MonthlyStat.objects.get(agency=agency, month=dt.date(2026, 6, 1), channel=Channel.COUNTER)
    assert counter.paid_online_procedures == [] and counter.received_full_level == 0
    found = indicators(quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-06")))
    # 3 resolved: 1 with both → 33.33 % of 80 % → 4 × 0.41666… = 1.67
    assert (found["digitised_dossiers"]["rate"], found["digitised_dossiers"]["points"]) == (33.33, 1.67)
    # 5 received: 1 from the store → 20 % → 4 × 0.2; 1 from the population database → 2 × 0.2
    assert (found["shared_reuse"]["rate"], found["shared_reuse"]["points"]) == (20.0, 0.8)
    assert (found["population_dossiers"]["rate"], found["population_dossiers"]["points"]) == (20.0, 0.4)
    # 2 of the 2 dossiers of the fully-online version were filed online → 12 points
    assert (found["fully_online"]["rate"], found["fully_online"]["points"]) == (100.0, 12.0)


def test_migration_0025_fills_the_counters_of_the_days_rolled_up_before(june):
    agency, day, full, _partial = june
    service.stats_rollup_day(day=day)
    rolled = _totals(agency, day)
    months = {m.pk: (m.paid_online_procedures, [getattr(m, f) for f in NEW]) for m in MonthlyStat.objects.all()}
    # The rows as written before the columns: zeros and empty lists.
    DailyStat.objects.update(**dict.fromkeys(NEW, 0))
    MonthlyStat.objects.update(paid_online_procedures=[], **dict.fromkeys(NEW, 0))
    MIGRATION.fill_counters(apps, types.SimpleNamespace(connection=connection))
    assert _totals(agency, day) == rolled
    assert {m.pk: (m.paid_online_procedures, [getattr(m, f) for f in NEW]) for m in MonthlyStat.objects.all()} == (
        months
    )
    # The migration's conditions are the roll-up's: same keys.
    assert set(MIGRATION.FILL_CONDITIONS) == set(d.NATIONAL_LIST_FIELDS)


# --------------------------------------------------------------------------- the catalogue's items


def test_the_catalogue_items_of_the_online_and_digitisation_groups_for_the_province():
    agency = AgencyFactory()
    AgencyFactory()
    full = ProcedureVersionFactory(service_level=ServiceLevel.FULL)  # prefilled full name: population
    FeeFactory(version=full, amount=50_000)
    partial = ProcedureVersionFactory(service_level=ServiceLevel.PARTIAL, form_schema=PLAIN_FORM)
    FeeFactory(version=partial, amount=20_000)
    bound = ProcedureVersionFactory(service_level=ServiceLevel.PARTIAL, form_schema=PLAIN_FORM, channel_online=False)
    DocumentRequirementFactory(version=bound, national_document="residence_confirmation")  # population
    FeeFactory(version=bound, amount=10_000)  # a fee, but no online filing: not offered online
    free = ProcedureVersionFactory(service_level=ServiceLevel.INFORMATION, form_schema=PLAIN_FORM)
    FeeFactory(version=free, amount=0)  # a fee of 0 is no fee
    ProcedureVersionFactory(form_schema=PLAIN_FORM, for_citizens=False, for_organisations=True)  # not citizens'
    ProcedureVersionFactory(draft=True)  # not in force: not counted
    # The roll-up: the full and the partial versions had fees paid online in March, the full one
    # in two agencies (counted once), a procedure without a fee in the catalogue does not count.
    month_row(agency, MARCH, Channel.ONLINE, received=1, paid_online_procedures=[full.procedure_id])
    month_row(AgencyFactory(), MARCH, Channel.ONLINE, paid_online_procedures=[full.procedure_id, free.procedure_id])
    month_row(agency, dt.date(2026, 4, 1), Channel.ONLINE, paid_online_procedures=[partial.procedure_id])  # April
    province = quality_index.index_compute(agency_ids=None, period=period("2026-03"))
    found = indicators(province)
    figures = {f["key"]: f["value"] for i in found.values() for f in i["figures"]}
    assert {k: figures[k] for k in ("procedures_online", "procedures_public", "procedures_fee")} == {
        "procedures_online": 3,  # full, partial, the organisations' one (the bound one takes no online filing)
        "procedures_public": 5,
        "procedures_fee": 3,  # full, partial, bound
    }
    # 3.1: 3 of 5 = 60 %, full at 80 %, no points in the national table
    assert (found["online_procedures"]["rate"], found["online_procedures"]["points"]) == (60.0, 0.0)
    # 3.5: 2 of the 3 with a fee take it online = 66.67 %, full at 80 % → 2 × 0.8333… = 1.67
    assert (found["payment_procedures"]["rate"], found["payment_procedures"]["points"]) == (66.67, 1.67)
    # 3.5b: 1 of the 3 had a fee paid online in March = 33.33 % → 2 × 0.3333… = 0.67
    assert (found["payment_procedures_used"]["rate"], found["payment_procedures_used"]["points"]) == (33.33, 0.67)
    # 4.5a: the full (prefilled) and the bound (a population document) of the 4 citizens' ones
    assert (found["population_procedures"]["numerator"], found["population_procedures"]["denominator"]) == (2, 4)
    assert found["population_procedures"]["points"] == 1.0
    quarter = indicators(quality_index.index_compute(agency_ids=None, period=period("2026-Q1")))
    assert quarter["payment_procedures_used"]["numerator"] == 1
    both = indicators(quality_index.index_compute(agency_ids=None, period=period("2026")))
    assert both["payment_procedures_used"]["numerator"] == 2
    # Without a payment gateway the portal takes no fee online: 3.5 is 0.
    with NO_GATEWAY:
        offline = indicators(quality_index.index_compute(agency_ids=None, period=period("2026-03")))
    assert (offline["payment_procedures"]["rate"], offline["payment_procedures"]["points"]) == (0.0, 0.0)
    # For one agency these are the province's: left out, and said why.
    one = indicators(quality_index.index_compute(agency_ids=frozenset({agency.pk}), period=period("2026-03")))
    for key in ("online_procedures", "payment_procedures", "payment_procedures_used", "population_procedures"):
        assert one[key]["available"] is False and "chỉ tính chỉ số này cho cả tỉnh" in one[key]["missing"], key


def test_certified_copies_are_unavailable_and_left_out(client):
    province = AgencyFactory(name="UBND tỉnh Thử", code="000.00.00.T01")
    agency = AgencyFactory(name="Sở Thử", parent=province, code="000.00.01.T01")
    month_row(agency, MARCH, Channel.ONLINE, received=4, resolved_on_time=4)
    body = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}).json()
    copy = indicators(body)["e_certified_copy"]
    assert (copy["available"], copy["status"], copy["points"], copy["max_points"]) == (False, "unavailable", None, 2)
    assert "chứng thực bản sao điện tử" in copy["missing"]
    assert {"key": "e_certified_copy", "status": "unavailable"}.items() <= next(
        i for i in body["left_out"] if i["key"] == "e_certified_copy"
    ).items()
    page = client.get("/thong-ke/", {"month": "2026-03"}).text
    row = page.split('data-indicator="e_certified_copy"')[1].split("</tr>")[0]
    assert "Chưa có số liệu:" in row and "chứng thực bản sao điện tử" in row
    english = client.get("/api/v1/stats/public/index/", {"period": "2026-03"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "certified" in indicators(english)["e_certified_copy"]["missing"]


# --------------------------------------------------------------------------- migration 0025


def _seed_0024():
    """The 2022 rule set as migration 0024 left it: transparency and progress on the national list,
    digitisation and online as migrations 0019 and 0022 seeded them, satisfaction unchanged."""
    rule_set = IndexRuleSet.objects.get(effective_from=SEEDED)
    rule_set.rules.all().delete()
    kept = {"publication", "public_update", "public_content", "national_sync", "on_time", "avg_processing_time"}
    for indicator, points, full_at, points_source, full_at_source, note in quality_seed.RULES_766:
        if indicator in kept:
            IndexRule.objects.create(
                rule_set=rule_set,
                indicator=indicator,
                max_points=points,
                full_at=full_at,
                max_points_source=points_source,
                full_at_source=full_at_source,
                note=note,
            )
    first = {**quality_seed.SECOND_LINES, "feedback_on_time": ("6", "100"), "feedback_satisfied": ("6", "100")}
    first["satisfaction"] = ("6", "90")
    for indicator, (points, full_at) in first.items():
        IndexRule.objects.create(
            rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at, note="Ghi chú cũ."
        )
    rule_set.basis = quality_seed.BASIS_766_0024
    rule_set.save()
    return rule_set


def _lines(rule_set) -> dict:
    return {r.indicator: (r.max_points, r.full_at, r.max_points_source, r.full_at_source) for r in rule_set.rules.all()}


def test_migration_0025_brings_the_0024_seed_to_the_national_list():
    rule_set = _seed_0024()
    assert sum(points for points, *_ in _lines(rule_set).values()) == 100
    quality_seed.national_list_second_update(apps)
    lines = _lines(rule_set)
    expected = {
        indicator: (Decimal(points), Decimal(full_at), points_source, full_at_source)
        for indicator, points, full_at, points_source, full_at_source, _note in quality_seed.RULES_766
    }
    assert lines == expected
    assert sum(points for points, *_ in lines.values()) == 100
    notes = {r.indicator: r.note for r in rule_set.rules.all()}
    assert notes["e_result"].startswith("Mục 4.1") and notes["satisfaction"].startswith("Mục 5.4")
    rule_set.refresh_from_db()
    assert rule_set.basis == quality_seed.BASIS_766
    # Run again: nothing changes.
    quality_seed.national_list_second_update(apps)
    assert _lines(rule_set) == lines and {r.indicator: r.note for r in rule_set.rules.all()} == notes


def test_migrations_0024_and_0025_bring_the_first_seed_to_the_national_list():
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
    quality_seed.national_list_update(apps)
    quality_seed.national_list_second_update(apps)
    assert {k: (p, f) for k, (p, f, *_s) in _lines(rule_set).items()} == {
        indicator: (Decimal(points), Decimal(full_at)) for indicator, points, full_at, *_rest in quality_seed.RULES_766
    }
    rule_set.refresh_from_db()
    assert rule_set.basis == quality_seed.BASIS_766


def test_migration_0025_leaves_a_rule_set_an_admin_changed():
    rule_set = _seed_0024()
    IndexRule.objects.filter(rule_set=rule_set, indicator="online_share").update(max_points=7)
    IndexRule.objects.filter(rule_set=rule_set, indicator="online_payment").update(max_points=8)
    before = _lines(rule_set)
    quality_seed.national_list_second_update(apps)
    assert {k: v[:2] for k, v in _lines(rule_set).items()} == {k: v[:2] for k, v in before.items()}
    assert not rule_set.rules.filter(indicator__in=quality_seed.SECOND_ADDED).exists()


def test_migration_0025_leaves_a_rule_set_with_a_line_of_the_list_already_added():
    rule_set = _seed_0024()
    IndexRule.objects.create(rule_set=rule_set, indicator="fully_online", max_points=2, full_at=80)
    before = _lines(rule_set)
    quality_seed.national_list_second_update(apps)
    assert _lines(rule_set).keys() == before.keys()
    assert _lines(rule_set)["fully_online"][:2] == (2, 80)
