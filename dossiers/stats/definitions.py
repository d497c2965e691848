"""What each figure counts (DESIGN.md §2, Reports and Lateness), over a period [start, end).

A dossier's *deadline* is its first appointment: ``original_due_at`` when an apology letter
(form 04) set a new date, else ``due_at`` — so a dossier late against its first appointment
stays late. *Open at a moment T*: received before T, not resolved before T, and not withdrawn
or stopped before T (by ``closed_at``; refused dossiers are never received). The stock figures (in progress,
paused) are taken at the end of the period, or now when the period has not ended.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from dossiers.constants import DocumentReuse, DossierState, ResultStatus
from dossiers.core.supplements import REQUEST_SUPPLEMENT_ACTION
from dossiers.models import Dossier, DossierDocument, DossierEvent, DossierResult, NationalDataLookup
from portal.models import SyncRecord, SyncState
from portal.money import money_digits
from portal.national_data import LookupStatus
from procedures.constants import ServiceLevel

# A working day is 8 working hours (DESIGN.md §2, Time): processing time in working days.
MINUTES_PER_WORKING_DAY = 480
WAITING = (DossierState.SUPPLEMENT_REQUESTED, DossierState.PAYMENT_REQUESTED)
CLOSED_WITHOUT_RESULT = (DossierState.WITHDRAWN, DossierState.STOPPED)


def dossiers() -> QuerySet[Dossier]:
    """Dossiers with the aliases the conditions below use."""
    return Dossier.objects.alias(
        deadline=Coalesce("original_due_at", "due_at"),
        resolved_day=TruncDate("resolved_at"),
        deadline_day=TruncDate(Coalesce("original_due_at", "due_at")),
        supplement_requests=Coalesce(
            Subquery(
                DossierEvent.objects.filter(dossier=OuterRef("pk"), action=REQUEST_SUPPLEMENT_ACTION)
                .order_by()
                .values("dossier")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )


def q_open(moment: dt.datetime) -> Q:
    return (
        Q(received_at__lt=moment)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))
        & ~Q(state__in=CLOSED_WITHOUT_RESULT, closed_at__lt=moment)
        & ~Q(state=DossierState.REFUSED)
    )


# The states a dossier is open in *now*: it leaves them when it is resolved, refused, withdrawn
# or stopped, so at the current moment ``q_open`` is "in one of these and received already".
OPEN_NOW = (
    DossierState.RECEIVED,
    DossierState.PROCESSING,
    DossierState.CONSULTING,
    DossierState.PENDING_APPROVAL,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.PAYMENT_REQUESTED,
    DossierState.WITHDRAWAL_REQUESTED,
)


def stock_now_counts(now: dt.datetime) -> dict[str, Q | None]:
    """What to count per agency × procedure × channel × state among the dossiers open now
    (``OPEN_NOW``, received before ``now``); ``stock_now`` turns the counts into the stock
    figures. Simple conditions, so the covering index ``dossier_open_stock`` answers them."""
    return {
        "total": None,
        "late": Q(deadline__lt=now),
        "later": Q(paused_at__gte=now),
        "late_later": Q(deadline__lt=now, paused_at__gte=now),
    }


def stock_now(state: str, counts: dict[str, int]) -> dict[str, int]:
    """The stock figures of one state's open dossiers now, as ``q_active`` and ``_q_paused``
    count them at ``now``: a dossier waiting for the applicant is paused unless its pause
    starts later; a deadline passed (the first appointment) makes an active dossier overdue."""
    if state in WAITING:
        active, late = counts["later"], counts["late_later"]
        paused = counts["total"] - counts["later"]
    else:
        active, late, paused = counts["total"], counts["late"], 0
    return {
        "open_on_time": active - late,
        "open_overdue": late,
        "paused_supplement": paused if state == DossierState.SUPPLEMENT_REQUESTED else 0,
        "paused_payment": paused if state == DossierState.PAYMENT_REQUESTED else 0,
    }


def _q_paused(moment: dt.datetime, state: str) -> Q:
    return q_open(moment) & Q(state=state) & (Q(paused_at__isnull=True) | Q(paused_at__lt=moment))


def q_active(moment: dt.datetime) -> Q:
    """Open and not waiting for the applicant at ``moment``."""
    return q_open(moment) & (~Q(state__in=WAITING) | Q(paused_at__gte=moment))


def q_resolved(start: dt.datetime, end: dt.datetime) -> Q:
    return Q(resolved_at__gte=start, resolved_at__lt=end)


def q_resolved_late(start, end) -> Q:
    return q_resolved(start, end) & Q(resolved_at__gt=F("deadline"))


def q_resolved_early(start, end) -> Q:
    return q_resolved(start, end) & Q(resolved_at__lte=F("deadline"), resolved_day__lt=F("deadline_day"))


def q_resolved_on_time(start, end) -> Q:
    return q_resolved(start, end) & (
        Q(due_at__isnull=True, original_due_at__isnull=True)
        | Q(resolved_at__lte=F("deadline"), resolved_day__gte=F("deadline_day"))
    )


def q_resolved_in_time(start, end) -> Q:
    """Resolved early or on time: finished no later than the (first) appointment."""
    return q_resolved_early(start, end) | q_resolved_on_time(start, end)


# --- the counters of the service-quality index (Decision 766/QĐ-TTg, ``stats.index``) -------------
def q_resolved_multi_supplement(start, end) -> Q:
    """Resolved in time, but after more than one supplement request: the index counts it late
    (the issue's reference figures; the guidance's text was not at hand, see ``stats.index``)."""
    return q_resolved_in_time(start, end) & Q(supplement_requests__gt=1)


def q_resolved_e_result(start, end) -> Q:
    """Resolved with an electronic result that has its code and its file (what a link opens)."""
    results = DossierResult.objects.filter(dossier=OuterRef("pk"), status=ResultStatus.FINAL, stored__isnull=False)
    return q_resolved(start, end) & Exists(results.exclude(code=""))


def q_received_reuse(start, end) -> Q:
    """Received with at least one document not asked again (once-only): taken from the applicant's
    store or from a national database (``DossierDocument.reuse``), or a stored document older
    than the dossier."""
    documents = DossierDocument.objects.filter(dossier=OuterRef("pk"), superseded_at__isnull=True)
    reused = documents.filter(
        Q(reuse__in=(DocumentReuse.STORE, DocumentReuse.NATIONAL)) | Q(stored__created_at__lt=OuterRef("created_at"))
    )
    return Q(received_at__gte=start, received_at__lt=end) & Exists(reused)


def q_received_synced(start, end) -> Q:
    """Received in the period and sent to the national public-service portal at least once (a
    ``SyncRecord`` of the dossier in state sent)."""
    sent = SyncRecord.objects.filter(dossier_id=OuterRef("pk"), state=SyncState.SENT)
    return Q(received_at__gte=start, received_at__lt=end) & Exists(sent)


def q_resolved_digitised(start, end) -> Q:
    """Item 4.2 of the national list: resolved with its components digitised (at least one current
    document with a file, ``digitised_at``) and an electronic result with its code and its file."""
    digitised = DossierDocument.objects.filter(
        dossier=OuterRef("pk"), superseded_at__isnull=True, digitised_at__isnull=False
    )
    return q_resolved_e_result(start, end) & Exists(digitised)


def q_received_store_reuse(start, end) -> Q:
    """Item 4.4: received with at least one current document taken from the applicant's document
    store (the description's ``DuocLayTuKhoDMQG = 1``; the portal's store stands for the national
    portal's personal repository, which it is not connected to)."""
    from_store = DossierDocument.objects.filter(
        dossier=OuterRef("pk"), superseded_at__isnull=True, reuse=DocumentReuse.STORE
    )
    return Q(received_at__gte=start, received_at__lt=end) & Exists(from_store)


def q_received_population_data(start, end) -> Q:
    """Item 4.5b: received using data of the national population database: a look-up of it
    (answers or a document) that found the person, recorded for the dossier."""
    found = NationalDataLookup.objects.filter(dossier=OuterRef("pk"), source="population", status=LookupStatus.FOUND)
    return Q(received_at__gte=start, received_at__lt=end) & Exists(found)


def q_received_full_level(start, end) -> Q:
    """The fully-online line of the national list: received for a procedure whose version (the one
    the dossier was filed under) is offered fully online (toàn trình); split by channel, its online
    part is the numerator."""
    return Q(received_at__gte=start, received_at__lt=end, procedure_version__service_level=ServiceLevel.FULL)


INDEX_CONDITIONS = {
    "resolved_multi_supplement": q_resolved_multi_supplement,
    "resolved_e_result": q_resolved_e_result,
    "received_reuse": q_received_reuse,
    "received_synced": q_received_synced,
    "resolved_digitised": q_resolved_digitised,
    "received_store_reuse": q_received_store_reuse,
    "received_population_data": q_received_population_data,
    "received_full_level": q_received_full_level,
}
# The counters above added by migration 0025 (the national list's digitisation and online groups).
NATIONAL_LIST_FIELDS = ("resolved_digitised", "received_store_reuse", "received_population_data", "received_full_level")
# The digitisation counters (``compute._count_documents``): the current documents of the
# dossiers received in the period, those digitised and those exempt from it.
DOCUMENT_FIELDS = ("documents", "documents_digitised", "documents_exempt")


def _closed(state: str, start, end) -> Q:
    # ``closed_at`` is set once when the dossier is refused, withdrawn or stopped; ``updated_at``
    # would move with any later save (a note, a notification mark, a data fix).
    return Q(state=state, closed_at__gte=start, closed_at__lt=end)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str
    kind: str = "count"  # count | rate | days | money
    # Condition on dossiers for (start, end, moment) where moment = min(end, now); None: no list.
    condition: object = None
    stock: bool = False
    # The moment the list behind the number is ordered by (newest first): the column its
    # condition bounds, so each agency's page is one range of an (agency, column) index.
    sorted_by: str = "received_at"


def _f(key, label, definition, condition=None, kind="count", stock=False, sorted_by="received_at") -> Figure:
    return Figure(key, label, definition, kind, condition, stock, sorted_by)


FIGURES: list[Figure] = [
    _f(
        "carried_over",
        _("Kỳ trước chuyển sang"),
        _("Hồ sơ đã tiếp nhận trước ngày đầu kỳ và chưa giải quyết xong, chưa rút, chưa dừng vào đầu kỳ."),
        lambda s, e, m: q_open(s),
    ),
    _f(
        "received",
        _("Mới tiếp nhận"),
        _("Hồ sơ được tiếp nhận trong kỳ (theo thời điểm tiếp nhận), mọi kênh."),
        lambda s, e, m: Q(received_at__gte=s, received_at__lt=e),
    ),
    _f(
        "received_online",
        _("Trực tuyến"),
        _("Hồ sơ mới tiếp nhận trong kỳ, nộp trực tuyến (kênh 2)."),
        lambda s, e, m: Q(received_at__gte=s, received_at__lt=e, channel="online"),
    ),
    _f(
        "received_counter",
        _("Trực tiếp"),
        _("Hồ sơ mới tiếp nhận trong kỳ, nộp trực tiếp tại Bộ phận Một cửa (kênh 1)."),
        lambda s, e, m: Q(received_at__gte=s, received_at__lt=e, channel="counter"),
    ),
    _f(
        "received_post",
        _("Bưu chính"),
        _("Hồ sơ mới tiếp nhận trong kỳ, nộp qua dịch vụ bưu chính công ích (kênh 3)."),
        lambda s, e, m: Q(received_at__gte=s, received_at__lt=e, channel="post"),
    ),
    _f(
        "resolved",
        _("Đã giải quyết"),
        _("Hồ sơ xử lý xong trong kỳ (thời điểm xử lý xong), kể cả hồ sơ từ chối giải quyết có văn bản trả lời."),
        lambda s, e, m: q_resolved(s, e),
        sorted_by="resolved_at",
    ),
    _f(
        "resolved_early",
        _("Trước hạn"),
        _("Xử lý xong trong kỳ, trước ngày hẹn trả đầu tiên."),
        lambda s, e, m: q_resolved_early(s, e),
        sorted_by="resolved_at",
    ),
    _f(
        "resolved_on_time",
        _("Đúng hạn"),
        _("Xử lý xong trong kỳ, trong ngày hẹn trả đầu tiên và không muộn hơn giờ hẹn."),
        lambda s, e, m: q_resolved_on_time(s, e),
        sorted_by="resolved_at",
    ),
    _f(
        "resolved_late",
        _("Quá hạn"),
        _(
            "Xử lý xong trong kỳ, sau thời điểm hẹn trả đầu tiên. Hồ sơ có thư xin lỗi hẹn lại vẫn tính quá hạn "
            "theo ngày hẹn ban đầu."
        ),
        lambda s, e, m: q_resolved_late(s, e),
        sorted_by="resolved_at",
    ),
    _f(
        "in_progress_on_time",
        _("Đang xử lý trong hạn"),
        _(
            "Cuối kỳ (hoặc hiện tại nếu kỳ chưa kết thúc): hồ sơ đang giải quyết, không chờ công dân, chưa quá hẹn đầu tiên."
        ),
        lambda s, e, m: q_active(m) & (Q(due_at__isnull=True, original_due_at__isnull=True) | Q(deadline__gte=m)),
        stock=True,
    ),
    _f(
        "in_progress_overdue",
        _("Đang xử lý quá hạn"),
        _("Cuối kỳ (hoặc hiện tại): hồ sơ đang giải quyết, không chờ công dân, đã quá thời điểm hẹn trả đầu tiên."),
        lambda s, e, m: q_active(m) & Q(deadline__lt=m),
        stock=True,
    ),
    _f(
        "paused_supplement",
        _("Chờ bổ sung"),
        _("Cuối kỳ (hoặc hiện tại): hồ sơ đang chờ công dân bổ sung, hoàn thiện (mã trạng thái 5)."),
        lambda s, e, m: _q_paused(m, DossierState.SUPPLEMENT_REQUESTED),
        stock=True,
    ),
    _f(
        "paused_payment",
        _("Chờ nghĩa vụ tài chính"),
        _("Cuối kỳ (hoặc hiện tại): hồ sơ đang chờ công dân thực hiện nghĩa vụ tài chính (mã trạng thái 6)."),
        lambda s, e, m: _q_paused(m, DossierState.PAYMENT_REQUESTED),
        stock=True,
    ),
    _f(
        "stopped",
        _("Dừng xử lý"),
        _("Hồ sơ bị dừng xử lý trong kỳ (mã trạng thái 8)."),
        lambda s, e, m: _closed(DossierState.STOPPED, s, e),
        sorted_by="closed_at",
    ),
    _f(
        "withdrawn",
        _("Rút hồ sơ"),
        _("Hồ sơ công dân rút và được chấp nhận trong kỳ (mã trạng thái 7)."),
        lambda s, e, m: _closed(DossierState.WITHDRAWN, s, e),
        sorted_by="closed_at",
    ),
    _f(
        "refused",
        _("Không tiếp nhận"),
        _("Hồ sơ bị từ chối tiếp nhận trong kỳ (mẫu 03, mã trạng thái 3); không tính vào số tiếp nhận."),
        lambda s, e, m: _closed(DossierState.REFUSED, s, e),
        sorted_by="closed_at",
    ),
    _f(
        "on_time_rate",
        _("Tỷ lệ đúng hạn"),
        _("(Trước hạn + Đúng hạn) / Đã giải quyết trong kỳ."),
        kind="rate",
    ),
    _f(
        "online_share",
        _("Tỷ lệ nộp trực tuyến"),
        _("Hồ sơ tiếp nhận trực tuyến / Tổng hồ sơ mới tiếp nhận trong kỳ."),
        kind="rate",
    ),
    _f(
        "avg_processing_days",
        _("Thời gian xử lý trung bình (ngày làm việc)"),
        _(
            "Với hồ sơ xử lý xong trong kỳ: số phút làm việc theo lịch của cơ quan từ lúc tiếp nhận đến lúc xử lý xong, "
            "trừ thời gian tạm dừng chờ công dân, chia 480 (8 giờ một ngày làm việc); lấy trung bình."
        ),
        kind="days",
    ),
    _f(
        "p90_processing_days",
        _("Thời gian xử lý bách phân vị 90 (ngày làm việc)"),
        _("Số ngày làm việc (làm tròn lên) mà 90% hồ sơ xử lý xong trong kỳ không vượt quá."),
        kind="days",
    ),
    _f(
        "fees_online",
        _("Phí, lệ phí thu trực tuyến (đồng)"),
        _("Tổng số tiền các giao dịch thanh toán trực tuyến thành công trong kỳ (theo thời điểm thanh toán)."),
        kind="money",
    ),
    _f(
        "rating_very_satisfied",
        _("Rất hài lòng"),
        _("Số đánh giá “Rất hài lòng” gửi trong kỳ."),
        lambda s, e, m: Q(rated_at__gte=s, rated_at__lt=e, rating="very_satisfied"),
        sorted_by="rated_at",
    ),
    _f(
        "rating_satisfied",
        _("Hài lòng"),
        _("Số đánh giá “Hài lòng” gửi trong kỳ."),
        lambda s, e, m: Q(rated_at__gte=s, rated_at__lt=e, rating="satisfied"),
        sorted_by="rated_at",
    ),
    _f(
        "rating_dissatisfied",
        _("Không hài lòng"),
        _("Số đánh giá “Không hài lòng” gửi trong kỳ."),
        lambda s, e, m: Q(rated_at__gte=s, rated_at__lt=e, rating="dissatisfied"),
        sorted_by="rated_at",
    ),
    _f(
        "satisfaction_rate",
        _("Tỷ lệ hài lòng"),
        _("(Rất hài lòng + Hài lòng) / Tổng số đánh giá trong kỳ."),
        kind="rate",
    ),
    _f(
        "apologies",
        _("Thư xin lỗi đã ban hành"),
        _("Số phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04) ban hành trong kỳ."),
        lambda s, e, m: Q(apology_at__gte=s, apology_at__lt=e),
        sorted_by="apology_at",
    ),
]
FIGURES_BY_KEY = {f.key: f for f in FIGURES}


def figure_display(key: str, value) -> str:
    """A figure as pages and reports show it: "—" when it has no meaning (nothing to divide by),
    rates with a decimal comma, counts and amounts grouped with dots (the column names the unit)."""
    if value is None:
        return "—"
    kind = FIGURES_BY_KEY[key].kind
    if kind == "rate":
        return f"{value:.2f}".replace(".", ",") + " %"
    if kind == "days":
        return f"{value}".replace(".", ",")
    return money_digits(value)


# Counters of a roll-up row (DailyStat) that are summed over days / taken at the period's end.
FLOW_FIELDS = (
    "received",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "refused",
    "withdrawn",
    "stopped",
    "apologies",
    "rating_very_satisfied",
    "rating_satisfied",
    "rating_dissatisfied",
    "fees_online",
    "processing_minutes",
    "resolved_multi_supplement",
    "resolved_e_result",
    "received_reuse",
    "paid_online",
    "paid_any",
    "documents",
    "documents_digitised",
    "documents_exempt",
    "received_synced",
    *NATIONAL_LIST_FIELDS,
)
# What the monthly roll-up (MonthlyStat) keeps of the daily one, per agency × channel.
MONTHLY_FIELDS = (
    "received",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_multi_supplement",
    "resolved_e_result",
    "received_reuse",
    "paid_online",
    "paid_any",
    "documents",
    "documents_digitised",
    "documents_exempt",
    "received_synced",
    "rating_very_satisfied",
    "rating_satisfied",
    "rating_dissatisfied",
    "processing_minutes",
    *NATIONAL_LIST_FIELDS,
)
STOCK_FIELDS = ("open_on_time", "open_overdue", "paused_supplement", "paused_payment")
