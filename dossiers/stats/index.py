"""The service-quality index (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người
dân, doanh nghiệp, Decision 766/QĐ-TTg of 23 June 2022, in force from that day) and the mission's
targets, per agency (with its sub-agencies) or the province, per month, quarter or year.

Read from the monthly roll-up (``MonthlyStat``, itself summed from ``DailyStat``) plus the live
current day, never from the dossier table. Five groups out of 100: transparency 18, timeliness
20, digitisation 22, online services 22, satisfaction 18 (DESIGN.md §2). The points and the
full-points thresholds of each indicator come from the rule set in force on the period's first
day (``IndexRuleSet``, edited in the admin). An indicator scores ``max_points × min(1, rate /
full_at)``; one whose rate has no denominator in the period scores nothing and says so; one
whose source data the portal does not hold (``source=None``) is shown as unavailable with the
reason, never estimated, and the total is then out of what is available.

Where the figures come from (checked on 2 December 2026 with the stored public pages). The
decision's body (Article 1 approves the index; the national evaluation system in operation from
1 August 2022) was found; its annex — the formula table with each indicator's points and
threshold — and the Government Office's guidance were not. The five groups and their maxima
(18, 20, 22, 22, 18) come from secondary descriptions (news pages of provincial departments
introducing the decision: sonoivu.namdinh.gov.vn, cchc.soctrang.gov.vn; dinte.gov.vn lists the
transparency indicators: procedures published on time, updated and made public on time, made
public with every component, dossiers synced to the national portal). The thresholds 80 %
online, 50 % online with an electronic result (code and link), 80 % digitisation and reuse,
80 % online payment, 90 % satisfaction, and the rules "on time = no later than the
appointment", "supplementing time not counted", "more than one supplement request = late" are
the reference figures of issue 22, a written description of the formulas, not the annex. The
split of a group's points between its indicators and the linear scoring below a threshold are
the portal's assumptions. Each rule line says which (``IndexRule.max_points_source`` and
``full_at_source``), next to the figure on the pages and in the API.
"""

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import FigureSource, IndexGroup, IndexIndicator, MissionTargetKey
from dossiers.models import IndexRule, IndexRuleSet, MissionTarget, MonthlyStat
from dossiers.stats import definitions as d
from dossiers.stats import service
from portal.db_router import replica_reads

I = IndexIndicator  # noqa: E741 - the indicators' table below reads better with a short name
T = MissionTargetKey

# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    key: str  # 2026-03 | 2026-Q1 | 2026
    kind: str  # month | quarter | year
    first_day: dt.date
    last_day: dt.date

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
        }


class BadPeriod(ValueError):
    pass


_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|[Qq](?P<quarter>[1-4])))?$")


def period_parse(value: str, *, today: dt.date | None = None) -> Period:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` (empty: the current month). Raises ``BadPeriod``
    with the reason when malformed, before 2000 or starting after today."""
    today = today or timezone.localdate()
    value = (value or "").strip() or today.strftime("%Y-%m")
    match = _PERIOD.match(value)
    if not match or (match["month"] and not 1 <= int(match["month"]) <= 12):
        raise BadPeriod(_("Kỳ đánh giá không hợp lệ; hãy nhập tháng (2026-03), quý (2026-Q1) hoặc năm (2026)."))
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        period = Period(f"{year}-{month:02d}", "month", first, last)
    elif match["quarter"]:
        quarter = int(match["quarter"])
        first = dt.date(year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        last = dt.date(year, end_month, calendar.monthrange(year, end_month)[1])
        period = Period(f"{year}-Q{quarter}", "quarter", first, last)
    else:
        period = Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    if period.first_day < dt.date(2000, 1, 1):
        raise BadPeriod(_("Kỳ đánh giá phải từ năm 2000 trở đi."))
    if period.first_day > today:
        raise BadPeriod(_("Kỳ đánh giá không thể bắt đầu sau ngày hôm nay."))
    return period


def period_months(period: Period) -> list[dt.date]:
    months, month = [], period.first_day
    while month <= period.last_day:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


# --------------------------------------------------------------------------- source figures

SOURCE_LABELS = {
    "received": gettext_lazy("Hồ sơ tiếp nhận"),
    "received_online": gettext_lazy("Hồ sơ tiếp nhận trực tuyến"),
    "received_reuse": gettext_lazy("Hồ sơ có giấy tờ lấy lại từ kho dữ liệu"),
    "resolved": gettext_lazy("Hồ sơ đã giải quyết"),
    "resolved_in_time": gettext_lazy("Giải quyết trước hạn, đúng hạn"),
    "resolved_multi_supplement": gettext_lazy("Trong hạn nhưng yêu cầu bổ sung quá một lần (tính quá hạn)"),
    "resolved_late": gettext_lazy("Giải quyết quá hạn"),
    "resolved_e_result": gettext_lazy("Giải quyết có kết quả điện tử (mã, tệp)"),
    "resolved_online_e_result": gettext_lazy("Nộp trực tuyến và có kết quả điện tử"),
    "paid_any": gettext_lazy("Hồ sơ đã nộp phí, lệ phí"),
    "documents": gettext_lazy("Giấy tờ của hồ sơ tiếp nhận"),
    "documents_digitised": gettext_lazy("Giấy tờ đã số hóa"),
    "documents_exempt": gettext_lazy("Giấy tờ không phải số hóa (lý do hợp lệ)"),
    "documents_countable": gettext_lazy("Giấy tờ phải số hóa"),
    "received_synced": gettext_lazy("Hồ sơ tiếp nhận đã đồng bộ lên Cổng DVCQG"),
    "paid_online": gettext_lazy("Nộp phí, lệ phí trực tuyến"),
    "ratings": gettext_lazy("Lượt đánh giá"),
    "ratings_satisfied": gettext_lazy("Rất hài lòng và hài lòng"),
}


def source_totals(rows) -> dict[str, int]:
    """The index's source figures of a set of roll-up rows (``MONTHLY_FIELDS`` and ``channel``)."""
    total = dict.fromkeys(d.MONTHLY_FIELDS, 0)
    online = dict.fromkeys(("received", "resolved_e_result"), 0)
    for r in rows:
        for f in d.MONTHLY_FIELDS:
            total[f] += r.get(f, 0) or 0
        if r["channel"] == "online":
            for f in online:
                online[f] += r.get(f, 0) or 0
    in_time = total["resolved_early"] + total["resolved_on_time"]
    return {
        "received": total["received"],
        "received_online": online["received"],
        "received_reuse": total["received_reuse"],
        "resolved": in_time + total["resolved_late"],
        "resolved_in_time": in_time,
        "resolved_multi_supplement": total["resolved_multi_supplement"],
        "resolved_late": total["resolved_late"],
        "resolved_e_result": total["resolved_e_result"],
        "resolved_online_e_result": online["resolved_e_result"],
        "paid_any": total["paid_any"],
        "paid_online": total["paid_online"],
        "documents": total["documents"],
        "documents_digitised": total["documents_digitised"],
        "documents_exempt": total["documents_exempt"],
        "documents_countable": total["documents"] - total["documents_exempt"],
        "received_synced": total["received_synced"],
        "ratings": total["rating_very_satisfied"] + total["rating_satisfied"] + total["rating_dissatisfied"],
        "ratings_satisfied": total["rating_very_satisfied"] + total["rating_satisfied"],
    }


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    formula: str
    # (numerator, denominator) from the source figures; None: the portal lacks the data.
    source: Callable[[dict], tuple[int, int]] | None
    figures: tuple[str, ...] = ()
    missing: str = ""
    # Why the data is not held at this moment (a setting off), or None when it is.
    unavailable_when: Callable[[], str | None] | None = None


def _unavailable(key, group, formula, missing) -> Indicator:
    return Indicator(key, group, formula, None, (), missing)


def _sync_off() -> str | None:
    if settings.NATIONAL_SYNC_URL:
        return None
    return _(
        "Cổng chưa được kết nối đồng bộ với Cổng Dịch vụ công quốc gia (NATIONAL_SYNC_URL trống) nên không có số "
        "liệu; có thể hồ sơ được đồng bộ qua hệ thống khác."
    )


INDICATORS: list[Indicator] = [
    _unavailable(
        I.PUBLICATION,
        IndexGroup.TRANSPARENCY,
        gettext_lazy("Số TTHC công bố, công khai đúng hạn / Tổng số TTHC phải công bố"),
        gettext_lazy("Cổng chưa lưu hạn công bố của quyết định công bố thủ tục nên chưa tính được."),
    ),
    Indicator(
        I.NATIONAL_SYNC,
        IndexGroup.TRANSPARENCY,
        gettext_lazy(
            "Số hồ sơ tiếp nhận trong kỳ đã đồng bộ thành công lên Cổng Dịch vụ công quốc gia / Tổng số hồ sơ "
            "tiếp nhận trong kỳ"
        ),
        lambda f: (f["received_synced"], f["received"]),
        ("received_synced", "received"),
        unavailable_when=_sync_off,
    ),
    _unavailable(
        I.PUBLIC_PROGRESS,
        IndexGroup.TRANSPARENCY,
        gettext_lazy("Số hồ sơ công khai tiến độ, kết quả / Tổng số hồ sơ"),
        gettext_lazy("Tiêu chí chấm của nội dung này chưa có văn bản hướng dẫn trong tay; chưa tính."),
    ),
    Indicator(
        I.ON_TIME,
        IndexGroup.TIMELINESS,
        gettext_lazy(
            "(Giải quyết trước hạn, đúng hạn − số hồ sơ yêu cầu bổ sung quá một lần) / Tổng số hồ sơ đã giải "
            "quyết. Đúng hạn: xong không muộn hơn thời điểm hẹn trả; thời gian công dân bổ sung không tính."
        ),
        lambda f: (f["resolved_in_time"] - f["resolved_multi_supplement"], f["resolved"]),
        ("resolved_in_time", "resolved_multi_supplement", "resolved_late", "resolved"),
    ),
    Indicator(
        I.DIGITISED,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Số giấy tờ đã số hóa (quét tại Bộ phận Một cửa, tải lên, lấy lại từ kho dữ liệu hoặc CSDL quốc gia) / "
            "(Tổng số giấy tờ của hồ sơ tiếp nhận trong kỳ − số giấy tờ không phải số hóa vì lý do hợp lệ)"
        ),
        lambda f: (f["documents_digitised"], f["documents_countable"]),
        ("documents_digitised", "documents_exempt", "documents", "documents_countable"),
    ),
    Indicator(
        I.E_RESULT,
        IndexGroup.DIGITISATION,
        gettext_lazy("Số hồ sơ có kết quả điện tử (có mã và tệp) / Tổng số hồ sơ đã giải quyết"),
        lambda f: (f["resolved_e_result"], f["resolved"]),
        ("resolved_e_result", "resolved"),
    ),
    Indicator(
        I.REUSE,
        IndexGroup.DIGITISATION,
        gettext_lazy("Số hồ sơ dùng lại giấy tờ đã có trong kho dữ liệu của người nộp / Tổng số hồ sơ tiếp nhận"),
        lambda f: (f["received_reuse"], f["received"]),
        ("received_reuse", "received"),
    ),
    Indicator(
        I.ONLINE_SHARE,
        IndexGroup.ONLINE,
        gettext_lazy("Số hồ sơ tiếp nhận trực tuyến / Tổng số hồ sơ tiếp nhận"),
        lambda f: (f["received_online"], f["received"]),
        ("received_online", "received"),
    ),
    Indicator(
        I.ONLINE_E_RESULT,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Số hồ sơ nộp trực tuyến đã giải quyết có kết quả điện tử (có mã và đường dẫn) / Tổng số hồ sơ đã "
            "giải quyết"
        ),
        lambda f: (f["resolved_online_e_result"], f["resolved"]),
        ("resolved_online_e_result", "resolved"),
    ),
    Indicator(
        I.ONLINE_PAYMENT,
        IndexGroup.ONLINE,
        gettext_lazy("Số hồ sơ nộp phí, lệ phí trực tuyến / Tổng số hồ sơ đã nộp phí, lệ phí"),
        lambda f: (f["paid_online"], f["paid_any"]),
        ("paid_online", "paid_any"),
    ),
    _unavailable(
        I.FEEDBACK_ON_TIME,
        IndexGroup.SATISFACTION,
        gettext_lazy("Số phản ánh, kiến nghị xử lý đúng hạn / Tổng số phản ánh, kiến nghị"),
        gettext_lazy("Cổng chưa tiếp nhận phản ánh, kiến nghị nên chưa có số liệu."),
    ),
    _unavailable(
        I.FEEDBACK_SATISFIED,
        IndexGroup.SATISFACTION,
        gettext_lazy("(Tổng số phản ánh, kiến nghị − số không hài lòng) / Tổng số phản ánh, kiến nghị"),
        gettext_lazy("Cổng chưa tiếp nhận phản ánh, kiến nghị nên chưa có số liệu."),
    ),
    Indicator(
        I.SATISFACTION,
        IndexGroup.SATISFACTION,
        gettext_lazy("(Rất hài lòng + Hài lòng) / Tổng số lượt đánh giá việc tiếp nhận, giải quyết hồ sơ"),
        lambda f: (f["ratings_satisfied"], f["ratings"]),
        ("ratings_satisfied", "ratings"),
    ),
]
INDICATORS_BY_KEY = {i.key: i for i in INDICATORS}
TWO = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def indicator_points(*, numerator: int, denominator: int, max_points: Decimal, full_at: Decimal):
    """(rate in %, points): full points from ``full_at`` on, in proportion below it; (None, None)
    when nothing was counted."""
    if not denominator:
        return None, None
    rate = Decimal(max(0, numerator)) * 100 / Decimal(denominator)
    share = min(Decimal(1), rate / full_at)
    return _round(rate), _round(max_points * share)


def rule_set_for(day: dt.date) -> list[IndexRule]:
    """The lines of the rule set in force on ``day`` (the latest whose effective date is not
    after it), each with its ``rule_set``; one query. Empty when none is in force."""
    in_force = IndexRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").values("pk")[:1]
    return list(IndexRule.objects.filter(rule_set=Subquery(in_force)).select_related("rule_set"))


# The groups' maxima as the decision's secondary descriptions give them (provincial news pages
# introducing Decision 766/QĐ-TTg, e.g. sonoivu.namdinh.gov.vn: 18, 20, 22, 22, 18); the annex's
# own table was not at hand.
GROUP_MAXIMA_DESCRIBED = {
    IndexGroup.TRANSPARENCY: Decimal(18),
    IndexGroup.TIMELINESS: Decimal(20),
    IndexGroup.DIGITISATION: Decimal(22),
    IndexGroup.ONLINE: Decimal(22),
    IndexGroup.SATISFACTION: Decimal(18),
}
_SOURCE_ORDER = [FigureSource.TEXT, FigureSource.SECONDARY, FigureSource.ASSUMPTION]


def _group_source(group: str, max_points: Decimal, indicators: list[dict]) -> str:
    """Where a group's maximum comes from: its lines' weakest source, or the secondary
    description when the lines add up to the maximum it gives."""
    sources = [i["max_points_source"] for i in indicators] or [FigureSource.ASSUMPTION]
    weakest = max(sources, key=_SOURCE_ORDER.index)
    if weakest == FigureSource.ASSUMPTION and max_points == GROUP_MAXIMA_DESCRIBED[group]:
        return FigureSource.SECONDARY.value
    return str(weakest)


def index_score(*, figures: dict, rules: list[IndexRule]) -> dict:
    """The index of one scope and period from its source figures, under a rule set's lines."""
    rules = {r.indicator: r for r in rules}
    groups = []
    for group in IndexGroup:
        indicators = []
        for spec in (i for i in INDICATORS if i.group == group and i.key in rules):
            rule = rules[spec.key]
            reason = spec.unavailable_when() if spec.unavailable_when else None
            available = spec.source is not None and reason is None
            entry = {
                "key": spec.key,
                "name": str(IndexIndicator(spec.key).label),
                "formula": str(spec.formula),
                "max_points": float(rule.max_points),
                "full_at": float(rule.full_at),
                "max_points_source": rule.max_points_source,
                "max_points_source_label": str(FigureSource(rule.max_points_source).label),
                "full_at_source": rule.full_at_source,
                "full_at_source_label": str(FigureSource(rule.full_at_source).label),
                "note": rule.note,
                "available": available,
                "figures": [{"key": k, "label": str(SOURCE_LABELS[k]), "value": figures[k]} for k in spec.figures],
                "numerator": None,
                "denominator": None,
                "rate": None,
                "points": None,
            }
            if not available:
                entry["missing"] = str(reason or spec.missing)
            else:
                numerator, denominator = spec.source(figures)
                rate, points = indicator_points(
                    numerator=numerator, denominator=denominator, max_points=rule.max_points, full_at=rule.full_at
                )
                entry.update(numerator=max(0, numerator), denominator=denominator)
                entry.update(
                    rate=None if rate is None else float(rate), points=None if points is None else float(points)
                )
                if denominator == 0:
                    entry["missing"] = _("Không có hồ sơ nào để tính trong kỳ.")
            indicators.append(entry)
        max_points = sum(Decimal(str(i["max_points"])) for i in indicators)
        scored = [i for i in indicators if i["points"] is not None]
        source = _group_source(group, max_points, indicators)
        groups.append(
            {
                "key": group.value,
                "name": str(group.label),
                "points": float(sum(Decimal(str(i["points"])) for i in scored)),
                "max_points": float(max_points),
                "max_points_source": source,
                "max_points_source_label": str(FigureSource(source).label),
                "max_points_scored": float(sum(Decimal(str(i["max_points"])) for i in scored)),
                "indicators": indicators,
            }
        )
    total = min(Decimal(100), sum(Decimal(str(g["points"])) for g in groups))
    return {
        "total": float(total),
        "max_points": float(min(Decimal(100), sum(Decimal(str(g["max_points"])) for g in groups))),
        "max_points_scored": float(sum(Decimal(str(g["max_points_scored"])) for g in groups)),
        "groups": groups,
    }


# --------------------------------------------------------------------------- reading


@replica_reads()
def index_rows(*, agency_ids: frozenset[int] | None, period: Period, by_agency: bool = False) -> list[dict]:
    """Roll-up rows of the period per channel (and agency when ``by_agency``): the monthly table
    for the rolled-up days, the live current day on top when the period holds today."""
    keys = ["agency_id", "channel"] if by_agency else ["channel"]
    monthly = MonthlyStat.objects.filter(month__in=period_months(period))
    if agency_ids is not None:
        monthly = monthly.filter(agency_id__in=agency_ids)
    rows = list(monthly.values(*keys).annotate(**{f: Sum(f) for f in d.MONTHLY_FIELDS}).order_by())
    if period.first_day <= timezone.localdate() <= period.last_day:
        scope = service.Scope(agency_ids=agency_ids)
        for live in service.live_rows_in_scope(scope):
            rows.append({k: live[k] for k in keys} | {f: live.get(f, 0) for f in d.MONTHLY_FIELDS})
    return rows


def index_compute(*, agency_ids: frozenset[int] | None, period: Period) -> dict:
    """The index of a scope (None: the whole province) for a period, with the mission's targets."""
    rules = rule_set_for(period.first_day)
    if not rules:
        raise BadPeriod(_("Chưa có bộ quy tắc chấm điểm nào áp dụng cho kỳ này."))
    rule_set = rules[0].rule_set
    figures = source_totals(index_rows(agency_ids=agency_ids, period=period))
    result = index_score(figures=figures, rules=rules)
    return {
        "period": period.as_dict(),
        "rule_set": {
            "name": rule_set.name,
            "effective_from": rule_set.effective_from.isoformat(),
            "basis": rule_set.basis,
        },
        **result,
        "targets": targets_compute(figures=figures, day=period.first_day),
    }


def index_by_agency(*, agency_ids: frozenset[int] | None, period: Period) -> dict[int, dict]:
    """The index of each agency on its own (no sub-agencies) for the period: one roll-up read."""
    rules = rule_set_for(period.first_day)
    if not rules:
        return {}
    rows: dict[int, list] = {}
    for r in index_rows(agency_ids=agency_ids, period=period, by_agency=True):
        rows.setdefault(r["agency_id"], []).append(r)
    return {a: index_score(figures=source_totals(v), rules=rules) for a, v in rows.items()}


# --------------------------------------------------------------------------- targets

TARGET_SOURCES: dict[str, tuple[str, str] | None] = {
    T.FULLY_ONLINE: ("resolved_online_e_result", "resolved"),
    T.REUSE: ("received_reuse", "received"),
    T.SATISFACTION: ("ratings_satisfied", "ratings"),
    T.ON_TIME: None,  # the index's own rule (multiple supplement requests count late)
    T.DIGITISATION: ("documents_digitised", "documents_countable"),
    T.E_RESULT: ("resolved_e_result", "resolved"),
}


def targets_in_force(day: dt.date) -> dict[str, MissionTarget]:
    found: dict[str, MissionTarget] = {}
    for target in MissionTarget.objects.filter(effective_from__lte=day).order_by("key", "-effective_from"):
        found.setdefault(target.key, target)
    return found


def targets_compute(*, figures: dict, day: dt.date) -> list[dict]:
    """Each mission target in force on ``day`` against the scope's figure of the period."""
    in_force = targets_in_force(day)
    out = []
    for key in MissionTargetKey:
        target = in_force.get(key.value)
        if target is None:
            continue
        if key == T.ON_TIME:
            numerator = figures["resolved_in_time"] - figures["resolved_multi_supplement"]
            denominator = figures["resolved"]
        elif TARGET_SOURCES[key] is None:
            numerator = denominator = None
        else:
            numerator, denominator = (figures[k] for k in TARGET_SOURCES[key])
        value = None
        if denominator:
            value = float(_round(Decimal(max(0, numerator)) * 100 / Decimal(denominator)))
        out.append(
            {
                "key": key.value,
                "name": str(key.label),
                "target": float(target.target),
                "effective_from": target.effective_from.isoformat(),
                "basis": target.basis,
                "value": value,
                "available": TARGET_SOURCES[key] is not None or key == T.ON_TIME,
                "met": None if value is None else value >= float(target.target),
            }
        )
    return out
