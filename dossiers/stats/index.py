"""The service-quality index (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người
dân, doanh nghiệp, Decision 766/QĐ-TTg of 23 June 2022, in force from that day) and the mission's
targets, per agency (with its sub-agencies) or the province, per month, quarter or year.

Read from the monthly roll-up (``MonthlyStat``, itself summed from ``DailyStat``) plus the live
current day, never from the dossier table; the procedure-level items of the whole province (1.3,
3.1, 3.5, 3.5b, 4.5a) from the catalogue in force (cached), 3.5b with the monthly rows' lists of
procedures paid online. Five groups out of 100: transparency 18, timeliness
20, digitisation 22, online services 22, satisfaction 18 (DESIGN.md §2). The points and the
full-points thresholds of each indicator come from the rule set in force on the period's first
day (``IndexRuleSet``, edited in the admin). An indicator scores ``max_points × min(1, rate /
full_at)``; one whose rate has no denominator in the period scores nothing and says so; one
whose source data the portal does not hold (``source=None``) is shown as unavailable with the
reason, never estimated, and the total is then out of what is available.

Where the figures come from (checked on 3 December 2026 with the stored public pages and code).
The decision's body (Article 1 approves the index; the national evaluation system in operation
from 1 August 2022) was found; its annex — the formula table with each indicator's points and
threshold — and the Government Office's guidance were not. The five groups and their maxima
(18, 20, 22, 22, 18) come from secondary descriptions (news pages of provincial departments
introducing the decision: sonoivu.namdinh.gov.vn, cchc.soctrang.gov.vn). All five groups follow
the national list of a written description of the formulas ("Mô tả công thức tính chỉ số 766")
and the national evaluation system's point table, both as copied in public code repositories:
1.1 published on time 6, 1.2 updated and made public on time 4, 1.3 made public with every
component 2, 1.4 dossiers synced 6; 2.1 on time 20, 2.2 average time (a formula, no points);
4.1 electronic results 6, 4.2 digitised dossiers 4, electronic certified copies 2 (no item in the
description; the portal offers none), 4.3 reuse 2, 4.4 shared for reuse 4, 4.5b dossiers and 4.5a
procedures using population data 2 + 2; fully online dossiers over the dossiers of procedures
eligible for it 12 (no item in the description), 3.1 procedures online and 3.3 online with an
electronic result (no points in the table: shown with their rate and threshold for 0 points),
3.5 procedures with fees integrated for online payment 2, 3.5b procedures with an online payment
2, 3.6 dossiers paid online 6; 5.2, 5.3, 5.4 6 each. baocaotaichinh.vn's summary of the decision
gives 1.2 its 4 of 18 and on time "at most 20". The thresholds the issue states are the
description's and sit on its items: 80 % for 3.1 (a share of procedures), 50 % for 3.3 (counting
only dossiers with an electronic result that has a code and a link), 80 % for 4.2 and 4.3, 80 %
for 3.5, 90 % for 5.4, with its linear scoring below them ("rate × maximum points / 80 %"); the
rules "on time = no later than the appointment", "supplementing time not counted", "more than
one supplement request = late" are in it too (2.1). Where the description gives no threshold,
the portal scores in proportion up to 100 % (an assumption). None of it is the annex. Each rule
line says which (``IndexRule.max_points_source`` and ``full_at_source``), next to the figure on
the pages and in the API.

Without data. Neither text at hand says how an indicator with nothing to count (no dossier in
the period) is scored: the description only says "when the denominator is 0, show 0 or N/A as
the reporting rules say". Such an indicator is left out of the total, which is then out of the
points that had data (``max_points_scored``; ``left_out`` lists the rest, ``no_data_rule`` says
why). One exception is written: item 1.4 (sync) takes, in a period without dossiers, the previous
year's count as its denominator and 0 when there is none, so its rate is then 0 % and it scores 0.
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
from portal import national_data
from portal.db_router import replica_reads
from procedures import selectors as catalogue

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
    "processing_minutes": gettext_lazy("Tổng số phút làm việc giải quyết các hồ sơ đã giải quyết"),
    "avg_processing_days": gettext_lazy("Thời gian giải quyết trung bình (ngày làm việc)"),
    "resolved_digitised": gettext_lazy("Giải quyết có thành phần hồ sơ số hóa và kết quả điện tử"),
    "received_store_reuse": gettext_lazy("Hồ sơ có giấy tờ lấy từ kho dữ liệu của người nộp"),
    "received_population_data": gettext_lazy("Hồ sơ sử dụng dữ liệu từ CSDL quốc gia về dân cư"),
    "received_full_level": gettext_lazy("Hồ sơ tiếp nhận của thủ tục toàn trình"),
    "received_full_level_online": gettext_lazy("Hồ sơ nộp trực tuyến của thủ tục toàn trình"),
    # The procedure catalogue (items 1.3, 3.1, 3.5, 4.5a), the whole province, now; with the
    # roll-up's procedures paid online in the period (3.5b).
    "procedures_public": gettext_lazy("Thủ tục hành chính đang công khai"),
    "procedures_complete": gettext_lazy("Thủ tục công khai đủ các bộ phận tạo thành"),
    "procedures_online": gettext_lazy("Thủ tục cung cấp dịch vụ công trực tuyến (một phần, toàn trình)"),
    "procedures_fee": gettext_lazy("Thủ tục đang công khai có phí, lệ phí"),
    "procedures_fee_online": gettext_lazy("Thủ tục có phí, lệ phí được thu trực tuyến qua cổng thanh toán"),
    "procedures_fee_paid_online": gettext_lazy("Thủ tục có phí, lệ phí có giao dịch thanh toán trực tuyến trong kỳ"),
    "procedures_citizen": gettext_lazy("Thủ tục đang công khai có đối tượng thực hiện là công dân"),
    "procedures_population": gettext_lazy("Thủ tục công dân thực hiện có kết nối dữ liệu dân cư"),
}


def source_totals(rows) -> dict[str, int]:
    """The index's source figures of a set of roll-up rows (``MONTHLY_FIELDS`` and ``channel``)."""
    total = dict.fromkeys(d.MONTHLY_FIELDS, 0)
    online = dict.fromkeys(("received", "resolved_e_result", "received_full_level"), 0)
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
        "processing_minutes": total["processing_minutes"],
        "resolved_digitised": total["resolved_digitised"],
        "received_store_reuse": total["received_store_reuse"],
        "received_population_data": total["received_population_data"],
        "received_full_level": total["received_full_level"],
        "received_full_level_online": online["received_full_level"],
        "avg_processing_days": average_days(total["processing_minutes"], in_time + total["resolved_late"]),
    }


def average_days(minutes: int, resolved: int) -> float | None:
    """Working minutes over the resolved dossiers, in working days of 480 minutes (two decimals,
    half up); None when none was resolved."""
    if not resolved:
        return None
    return float(_round(Decimal(minutes) / d.MINUTES_PER_WORKING_DAY / resolved))


# What the national population database answers on a form (the prefill sources of
# ``dossiers.services.once_only.POPULATION_FIELDS``, which the statistics may not import: a test
# keeps the two equal) and the documents it gives (item 4.5a).
POPULATION_PREFILLS = frozenset(
    {"profile.full_name", "profile.date_of_birth", "profile.sex", "profile.permanent_address"}
)
POPULATION_DOCUMENTS = frozenset(
    kind for kind, (source, _label) in national_data.NATIONAL_DOCUMENTS.items() if source == "population"
)


def catalogue_figures(*, period: Period | None = None) -> dict[str, int]:
    """The figures of the indicators computed from the procedure catalogue, now (the description:
    not by period): items 1.3, 3.1, 3.5, 4.5a; and item 3.5b's procedures with a fee paid online
    in ``period`` (from the roll-up)."""
    complete, public = catalogue.catalogue_content_counts()
    found = catalogue.catalogue_index_figures(prefills=POPULATION_PREFILLS, documents=POPULATION_DOCUMENTS)
    paid = paid_online_procedure_ids(period) if period is not None else set()
    return {
        "procedures_complete": complete,
        "procedures_public": public,
        "procedures_online": found["online"],
        "procedures_fee": len(found["fee_ids"]),
        # No payment gateway configured: the portal takes no fee online.
        "procedures_fee_online": len(found["fee_online_ids"]) if settings.PAYMENT_GATEWAY_URL else 0,
        "procedures_fee_paid_online": len(paid & set(found["fee_ids"])),
        "procedures_citizen": found["citizen"],
        "procedures_population": found["population"],
    }


@replica_reads()
def paid_online_procedure_ids(period: Period) -> set[int]:
    """The procedures with at least one dossier whose fees were paid online in the period, the
    whole province: the monthly roll-up's lists (``MonthlyStat.paid_online_procedures``), the live
    current day on top."""
    ids: set[int] = set()
    for listed in MonthlyStat.objects.filter(month__in=period_months(period)).values_list(
        "paid_online_procedures", flat=True
    ):
        ids.update(listed or ())
    if period.first_day <= timezone.localdate() <= period.last_day:
        ids |= {r["procedure_id"] for r in service.live_rows_in_scope(service.Scope()) if r.get("paid_online")}
    return ids


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
    # "rate" (scored from numerator / denominator) or "average" (a figure tracked, never scored;
    # ``average`` gives it from the source figures).
    kind: str = "rate"
    average: Callable[[dict], float | None] | None = None
    unit: str = ""
    # Computed for the whole province only (the national description), or for any scope.
    province_only: bool = False
    # With nothing to count: left out of the total (no text says otherwise), or rate 0 (the text).
    when_empty: str = "left_out"
    when_empty_note: str = ""
    # What "nothing to count" means for it (default: no dossier in the period).
    empty_note: str = ""


def _unavailable(key, group, formula, missing, **extra) -> Indicator:
    return Indicator(key, group, formula, None, (), missing, **extra)


def _sync_off() -> str | None:
    if settings.NATIONAL_SYNC_URL:
        return None
    return _(
        "Cổng chưa được kết nối đồng bộ với Cổng Dịch vụ công quốc gia (NATIONAL_SYNC_URL trống) nên không có số "
        "liệu; có thể hồ sơ được đồng bộ qua hệ thống khác."
    )


_NO_DECISION = gettext_lazy(
    "Cổng chưa lưu quyết định công bố thủ tục (số, ngày quyết định) nên chưa tính được; ngày công bố trên cổng "
    "(thời điểm công bố phiên bản) không thay được ngày quyết định."
)
INDICATORS: list[Indicator] = [
    _unavailable(
        I.PUBLICATION,
        IndexGroup.TRANSPARENCY,
        gettext_lazy(
            "Mục 1.1: Số TTHC công bố đúng hạn / Tổng số TTHC đã công bố trong kỳ. Cấp tỉnh: ngày quyết định công bố "
            "không muộn hơn ngày hiệu lực mới nhất của văn bản quy định thủ tục trừ 5 ngày làm việc."
        ),
        _NO_DECISION,
        province_only=True,
    ),
    _unavailable(
        I.PUBLIC_UPDATE,
        IndexGroup.TRANSPARENCY,
        gettext_lazy(
            "Mục 1.2: Số TTHC cập nhật, công khai đúng hạn trên CSDL quốc gia về TTHC / Tổng số TTHC phải cập nhật, "
            "công khai trong kỳ. Cấp tỉnh: công khai trong 5 ngày làm việc kể từ ngày quyết định công bố."
        ),
        _NO_DECISION,
        province_only=True,
    ),
    Indicator(
        I.PUBLIC_CONTENT,
        IndexGroup.TRANSPARENCY,
        gettext_lazy(
            "Mục 1.3: Số TTHC đang công khai có đủ các bộ phận tạo thành (tên, trình tự, cách thức, thành phần hồ "
            "sơ, thời hạn, đối tượng, cơ quan thực hiện) / Tổng số TTHC đang công khai; tính đến thời điểm hiện tại, "
            "không theo kỳ."
        ),
        lambda f: (f["procedures_complete"], f["procedures_public"]),
        ("procedures_complete", "procedures_public"),
        province_only=True,
        empty_note=gettext_lazy("Không có thủ tục nào đang công khai."),
    ),
    Indicator(
        I.NATIONAL_SYNC,
        IndexGroup.TRANSPARENCY,
        gettext_lazy(
            "Mục 1.4: Số hồ sơ tiếp nhận trong kỳ đã đồng bộ thành công lên Cổng Dịch vụ công quốc gia / Tổng số "
            "hồ sơ tiếp nhận trong kỳ"
        ),
        lambda f: (f["received_synced"], f["received"]),
        ("received_synced", "received"),
        unavailable_when=_sync_off,
        when_empty="zero",
        when_empty_note=gettext_lazy(
            "Không có hồ sơ tiếp nhận trong kỳ: theo bản mô tả công thức (mục 1.4), mẫu số lấy số hồ sơ của năm "
            "trước liền kề (chia 12 với kỳ tháng, chia 4 với kỳ quý), không có thì tỷ lệ bằng 0; tử số là 0 nên tỷ "
            "lệ là 0 % và chỉ số được 0 điểm."
        ),
    ),
    _unavailable(
        I.PUBLIC_PROGRESS,
        IndexGroup.TRANSPARENCY,
        gettext_lazy("Số hồ sơ công khai tiến độ, kết quả / Tổng số hồ sơ"),
        gettext_lazy(
            "Không thuộc danh mục chỉ số quốc gia (mục 1.1–1.4 của bản mô tả công thức); bộ quy tắc này vẫn ghi "
            "nên dòng được giữ, không chấm."
        ),
    ),
    Indicator(
        I.ON_TIME,
        IndexGroup.TIMELINESS,
        gettext_lazy(
            "Mục 2.1: (Giải quyết trước hạn, đúng hạn − số hồ sơ yêu cầu bổ sung quá một lần) / Tổng số hồ sơ đã "
            "giải quyết. Đúng hạn: xong không muộn hơn thời điểm hẹn trả; thời gian công dân bổ sung không tính."
        ),
        lambda f: (f["resolved_in_time"] - f["resolved_multi_supplement"], f["resolved"]),
        ("resolved_in_time", "resolved_multi_supplement", "resolved_late", "resolved"),
    ),
    Indicator(
        I.AVG_PROCESSING_TIME,
        IndexGroup.TIMELINESS,
        gettext_lazy(
            "Mục 2.2: Tổng thời gian giải quyết / Tổng số hồ sơ đã giải quyết trong kỳ (phút làm việc theo lịch của "
            "cơ quan, trừ thời gian chờ công dân, 480 phút một ngày làm việc)."
        ),
        None,
        ("avg_processing_days", "processing_minutes", "resolved"),
        kind="average",
        average=lambda f: f["avg_processing_days"],
        unit=gettext_lazy("ngày làm việc"),
    ),
    Indicator(
        I.E_RESULT,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.1: Số hồ sơ đã giải quyết có kết quả giải quyết điện tử (có mã và tệp kết quả) / Tổng số hồ sơ đã "
            "giải quyết"
        ),
        lambda f: (f["resolved_e_result"], f["resolved"]),
        ("resolved_e_result", "resolved"),
    ),
    Indicator(
        I.DIGITISED_DOSSIERS,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.2: Số hồ sơ đã giải quyết có thành phần hồ sơ được số hóa (ít nhất một giấy tờ có tệp) và có kết "
            "quả giải quyết điện tử (có mã và tệp) / Tổng số hồ sơ đã giải quyết"
        ),
        lambda f: (f["resolved_digitised"], f["resolved"]),
        ("resolved_digitised", "resolved"),
    ),
    _unavailable(
        I.E_CERTIFIED_COPY,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính (bảng điểm quốc gia chỉ nêu tên chỉ tiêu; bản "
            "mô tả công thức không có mục này)"
        ),
        gettext_lazy("Cổng chưa cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính nên chưa có số liệu."),
    ),
    Indicator(
        I.REUSE,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.3: Số hồ sơ tiếp nhận trong kỳ có ít nhất một thành phần dùng lại giấy tờ, dữ liệu đã số hóa (kho "
            "dữ liệu của người nộp, CSDL quốc gia) / Tổng số hồ sơ tiếp nhận trong kỳ"
        ),
        lambda f: (f["received_reuse"], f["received"]),
        ("received_reuse", "received"),
    ),
    Indicator(
        I.SHARED_REUSE,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.4: Số hồ sơ tiếp nhận trong kỳ có ít nhất một thành phần lấy từ kho dữ liệu của người nộp / Tổng "
            "số hồ sơ tiếp nhận trong kỳ. Kho của cổng thay cho kho dữ liệu cá nhân trên Cổng Dịch vụ công quốc "
            "gia, nơi cổng chưa kết nối."
        ),
        lambda f: (f["received_store_reuse"], f["received"]),
        ("received_store_reuse", "received"),
    ),
    Indicator(
        I.POPULATION_DOSSIERS,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.5b: Số hồ sơ tiếp nhận trong kỳ có sử dụng thông tin, dữ liệu từ CSDL quốc gia về dân cư (tra cứu "
            "tìm thấy người được tra cứu) / Tổng số hồ sơ tiếp nhận trong kỳ"
        ),
        lambda f: (f["received_population_data"], f["received"]),
        ("received_population_data", "received"),
    ),
    Indicator(
        I.POPULATION_PROCEDURES,
        IndexGroup.DIGITISATION,
        gettext_lazy(
            "Mục 4.5a: Số TTHC công dân thực hiện có kết nối dữ liệu dân cư (biểu mẫu điền sẵn từ CSDL quốc gia về "
            "dân cư hoặc thành phần hồ sơ lấy từ CSDL này) / Tổng số TTHC đang công khai có đối tượng thực hiện là "
            "công dân; tính đến thời điểm hiện tại."
        ),
        lambda f: (f["procedures_population"], f["procedures_citizen"]),
        ("procedures_population", "procedures_citizen"),
        province_only=True,
        empty_note=gettext_lazy("Không có thủ tục nào đang công khai có đối tượng thực hiện là công dân."),
    ),
    _unavailable(
        I.DIGITISED,
        IndexGroup.DIGITISATION,
        gettext_lazy("Số giấy tờ đã số hóa / Số giấy tờ phải số hóa của hồ sơ tiếp nhận"),
        gettext_lazy(
            "Không thuộc danh mục chỉ số quốc gia (mục 4.1–4.5 của bản mô tả công thức: mục 4.2 tính theo hồ sơ); "
            "bộ quy tắc này vẫn ghi nên dòng được giữ, không chấm. Tỷ lệ số hóa giấy tờ có trong mục tiêu số hóa."
        ),
    ),
    Indicator(
        I.FULLY_ONLINE,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Bảng điểm quốc gia (bản mô tả không có mục này): Số hồ sơ nộp trực tuyến của thủ tục cung cấp dịch vụ công trực tuyến toàn trình / Tổng số hồ sơ tiếp "
            "nhận của các thủ tục đó (mức toàn trình của phiên bản thủ tục hồ sơ được nộp thay cho dấu “đủ điều kiện "
            "toàn trình” của CSDL quốc gia về TTHC)"
        ),
        lambda f: (f["received_full_level_online"], f["received_full_level"]),
        ("received_full_level_online", "received_full_level"),
    ),
    Indicator(
        I.ONLINE_PROCEDURES,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Mục 3.1: Số TTHC cung cấp dịch vụ công trực tuyến một phần hoặc toàn trình / Tổng số TTHC đang công khai "
            "của tỉnh; tính đến thời điểm hiện tại."
        ),
        lambda f: (f["procedures_online"], f["procedures_public"]),
        ("procedures_online", "procedures_public"),
        province_only=True,
        empty_note=gettext_lazy("Không có thủ tục nào đang công khai."),
    ),
    Indicator(
        I.ONLINE_E_RESULT,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Mục 3.3: Số hồ sơ nộp trực tuyến đã giải quyết có kết quả điện tử (có mã và đường dẫn) / Tổng số hồ sơ đã "
            "giải quyết"
        ),
        lambda f: (f["resolved_online_e_result"], f["resolved"]),
        ("resolved_online_e_result", "resolved"),
    ),
    Indicator(
        I.PAYMENT_PROCEDURES,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Mục 3.5: Số TTHC có phí, lệ phí (khác 0) mà cổng nhận hồ sơ trực tuyến và thu phí qua cổng thanh toán / "
            "Tổng số TTHC đang công khai có phí, lệ phí (khác 0); tính đến thời điểm hiện tại."
        ),
        lambda f: (f["procedures_fee_online"], f["procedures_fee"]),
        ("procedures_fee_online", "procedures_fee"),
        province_only=True,
        empty_note=gettext_lazy("Không có thủ tục nào đang công khai có phí, lệ phí."),
    ),
    Indicator(
        I.PAYMENT_PROCEDURES_USED,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Mục 3.5b (bảng điểm quốc gia): Số TTHC có phí, lệ phí (khác 0) có ít nhất một hồ sơ nộp phí, lệ phí trực tuyến thành công trong kỳ / "
            "Tổng số TTHC đang công khai có phí, lệ phí (khác 0)"
        ),
        lambda f: (f["procedures_fee_paid_online"], f["procedures_fee"]),
        ("procedures_fee_paid_online", "procedures_fee"),
        province_only=True,
        empty_note=gettext_lazy("Không có thủ tục nào đang công khai có phí, lệ phí."),
    ),
    Indicator(
        I.ONLINE_PAYMENT,
        IndexGroup.ONLINE,
        gettext_lazy(
            "Mục 3.6: Số hồ sơ nộp phí, lệ phí trực tuyến / Tổng số hồ sơ đã nộp phí, lệ phí (hồ sơ có phí khác 0)"
        ),
        lambda f: (f["paid_online"], f["paid_any"]),
        ("paid_online", "paid_any"),
    ),
    _unavailable(
        I.ONLINE_SHARE,
        IndexGroup.ONLINE,
        gettext_lazy("Số hồ sơ tiếp nhận trực tuyến / Tổng số hồ sơ tiếp nhận"),
        gettext_lazy(
            "Không thuộc danh mục chỉ số quốc gia (ngưỡng của mục 3.1, 80 %, là tỷ lệ thủ tục, không phải tỷ lệ hồ "
            "sơ); bộ quy tắc này vẫn ghi nên dòng được giữ, không chấm. Tỷ lệ nộp trực tuyến có trong thống kê."
        ),
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


NO_DATA_RULE = gettext_lazy(
    "Chỉ số không có số liệu trong kỳ (không có hồ sơ để tính) hoặc cổng chưa có nguồn số liệu thì không tính vào "
    "tổng: Quyết định 766/QĐ-TTg và bản mô tả công thức có trong tay không nói cách chấm điểm khi không có số liệu "
    "(bản mô tả chỉ ghi “mẫu số bằng 0: hiển thị 0 hoặc N/A”). Tổng điểm vì vậy là điểm đạt trên số điểm có số "
    "liệu. Riêng mục 1.4 (đồng bộ hồ sơ) bản mô tả quy định tỷ lệ bằng 0 khi không có hồ sơ."
)
TRACKED_NOTE = gettext_lazy(
    "Chỉ theo dõi, không chấm điểm: bảng điểm quốc gia không có điểm cho mục 2.2 và bản mô tả công thức không có "
    "quy tắc quy đổi; 20 điểm của nhóm dành cho tỷ lệ đúng hạn (mục 2.1). Bản mô tả tính theo từng thủ tục, cho hồ "
    "sơ có ngày bắt đầu xử lý trong kỳ; cổng lấy các hồ sơ xử lý xong trong kỳ từ bảng tổng hợp."
)
NOTHING_TO_COUNT = gettext_lazy("Không có hồ sơ nào để tính trong kỳ.")
PROVINCE_ONLY = gettext_lazy(
    "Bản mô tả công thức chỉ tính chỉ số này cho cả tỉnh, không tính cho từng cơ quan; xem chỉ số của toàn tỉnh."
)


def _decimal(value) -> Decimal:
    return Decimal(str(value))


def index_score(*, figures: dict, rules: list[IndexRule], province: bool = False) -> dict:
    """The index of one scope and period from its source figures, under a rule set's lines;
    ``province``: the scope is the whole province (the indicators computed for it only)."""
    rules = {r.indicator: r for r in rules}
    groups, left_out = [], []
    for group in IndexGroup:
        indicators = []
        for spec in (i for i in INDICATORS if i.group == group and i.key in rules):
            rule = rules[spec.key]
            tracked = spec.kind == "average"
            if spec.province_only and not province:
                reason = str(PROVINCE_ONLY)
            else:
                reason = spec.unavailable_when() if spec.unavailable_when else None
            held = spec.source is not None or spec.average is not None
            available = held and reason is None
            entry = {
                "key": spec.key,
                "name": str(IndexIndicator(spec.key).label),
                "formula": str(spec.formula),
                "kind": spec.kind,
                # A tracked figure is worth nothing, whatever a line written past the admin says.
                "max_points": 0.0 if tracked else float(rule.max_points),
                "full_at": float(rule.full_at),
                "max_points_source": rule.max_points_source,
                "max_points_source_label": str(FigureSource(rule.max_points_source).label),
                "full_at_source": rule.full_at_source,
                "full_at_source_label": str(FigureSource(rule.full_at_source).label),
                "note": rule.note,
                "available": available,
                "status": "unavailable",
                "figures": [{"key": k, "label": str(SOURCE_LABELS[k]), "value": figures.get(k)} for k in spec.figures],
                "numerator": None,
                "denominator": None,
                "rate": None,
                "points": None,
            }
            if not available:
                entry["missing"] = str(reason or spec.missing)
            elif tracked:
                value = spec.average(figures)
                entry.update(value=value, unit=str(spec.unit), status="tracked", tracked_note=str(TRACKED_NOTE))
                if value is None:
                    entry["missing"] = str(NOTHING_TO_COUNT)
            else:
                numerator, denominator = spec.source(figures)
                entry.update(numerator=max(0, numerator), denominator=denominator, status="scored")
                if denominator == 0 and spec.when_empty == "zero":
                    entry.update(rate=0.0, points=0.0, missing=str(spec.when_empty_note))
                else:
                    rate, points = indicator_points(
                        numerator=numerator, denominator=denominator, max_points=rule.max_points, full_at=rule.full_at
                    )
                    entry.update(
                        rate=None if rate is None else float(rate), points=None if points is None else float(points)
                    )
                    if denominator == 0:
                        entry.update(status="no_data", missing=str(spec.empty_note or NOTHING_TO_COUNT))
            if entry["points"] is None and entry["max_points"]:
                left_out.append(
                    {
                        "key": spec.key,
                        "name": entry["name"],
                        "max_points": entry["max_points"],
                        "status": entry["status"],
                    }
                )
            indicators.append(entry)
        max_points = sum(_decimal(i["max_points"]) for i in indicators)
        scored = [i for i in indicators if i["points"] is not None]
        source = _group_source(group, max_points, [i for i in indicators if not i["kind"] == "average"])
        groups.append(
            {
                "key": group.value,
                "name": str(group.label),
                "points": float(sum(_decimal(i["points"]) for i in scored)),
                "max_points": float(max_points),
                "max_points_source": source,
                "max_points_source_label": str(FigureSource(source).label),
                "max_points_scored": float(sum(_decimal(i["max_points"]) for i in scored)),
                "indicators": indicators,
            }
        )
    total = min(Decimal(100), sum(_decimal(g["points"]) for g in groups))
    max_total = min(Decimal(100), sum(_decimal(g["max_points"]) for g in groups))
    scored_total = min(max_total, sum(_decimal(g["max_points_scored"]) for g in groups))
    return {
        "total": float(total),
        "max_points": float(max_total),
        "max_points_scored": float(scored_total),
        "points_left_out": float(max_total - scored_total),
        "left_out": left_out,
        "no_data_rule": str(NO_DATA_RULE),
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
    province = scope_is_province(agency_ids)
    if province and any(
        INDICATORS_BY_KEY[r.indicator].province_only for r in rules if r.indicator in INDICATORS_BY_KEY
    ):
        figures |= catalogue_figures(period=period)
    result = index_score(figures=figures, rules=rules, province=province)
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


def scope_is_province(agency_ids: frozenset[int] | None) -> bool:
    """The scope is the whole province: no agency named, or every active agency in it."""
    return agency_ids is None or agency_ids >= catalogue.active_agency_ids()


def index_by_agency(*, agency_ids: frozenset[int] | None, period: Period) -> dict[int, dict]:
    """The index of each agency on its own (no sub-agencies) for the period: one roll-up read.
    The indicators computed for the whole province only are not scored here."""
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
