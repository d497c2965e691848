"""States of a dossier and their national status codes, channels, slips, ratings.

Internal states are richer than the ten codes the national portal counts; every
internal state maps to exactly one code (``STATUS_CODE``), stored beside the state so
statistics and worklists filter on an indexed integer.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierState(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Mới đăng ký")
    RECEIVED = "received", _("Đã tiếp nhận, chờ phân công")
    REFUSED = "refused", _("Không được tiếp nhận")
    PROCESSING = "processing", _("Đang xử lý")
    CONSULTING = "consulting", _("Đang lấy ý kiến liên thông")
    PENDING_APPROVAL = "pending_approval", _("Chờ lãnh đạo phê duyệt")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung")
    PAYMENT_REQUESTED = "payment_requested", _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Công dân xin rút hồ sơ")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    RESOLVED = "resolved", _("Đã xử lý xong")
    RETURNED = "returned", _("Đã trả kết quả")


class StatusCode(models.IntegerChoices):
    """The national portal's ten status codes (DESIGN.md §2)."""

    SUBMITTED = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung")
    PAYMENT = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    RESOLVED = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


_S = DossierState
STATUS_CODE: dict[str, int | None] = {
    _S.DRAFT: None,
    _S.SUBMITTED: StatusCode.SUBMITTED,
    _S.RECEIVED: StatusCode.RECEIVED,
    _S.REFUSED: StatusCode.REFUSED,
    _S.PROCESSING: StatusCode.PROCESSING,
    _S.CONSULTING: StatusCode.PROCESSING,
    _S.PENDING_APPROVAL: StatusCode.PROCESSING,
    _S.SUPPLEMENT_REQUESTED: StatusCode.SUPPLEMENT,
    _S.PAYMENT_REQUESTED: StatusCode.PAYMENT,
    _S.WITHDRAWAL_REQUESTED: StatusCode.WITHDRAWN,
    _S.WITHDRAWN: StatusCode.WITHDRAWN,
    _S.STOPPED: StatusCode.STOPPED,
    _S.RESOLVED: StatusCode.RESOLVED,
    _S.RETURNED: StatusCode.RETURNED,
}

# States in which the applicant is expected to act; the deadline clock pauses there
# when the rule in force says so.
WAITING_FOR_APPLICANT = frozenset({_S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUESTED})
FINAL_STATES = frozenset({_S.REFUSED, _S.WITHDRAWN, _S.STOPPED, _S.RETURNED})


class Channel(models.TextChoices):
    COUNTER = "counter", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Bưu chính")


CHANNEL_NUMBER = {Channel.COUNTER: 1, Channel.ONLINE: 2, Channel.POST: 3}


class SlipKind(models.TextChoices):
    ACKNOWLEDGEMENT = "ack", _("Xác nhận nộp hồ sơ trực tuyến")
    RECEIPT = "01", _("Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    SUPPLEMENT = "02", _("Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "03", _("Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    APOLOGY = "04", _("Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    CONTROL_SHEET = "05", _("Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ")
    # The values are the 2018 numbers kept as stored keys; the number and title a slip shows
    # come from the rule set of its dossier (``Slip.get_kind_display``, procedures.rulebook).
    STOP_NOTICE = "stop", _("Mẫu 05 — Thông báo dừng giải quyết hồ sơ")


# Slips internal to the agency, never given to the applicant on any door (the slip download,
# the applicant's dossier page, the API's ``slips``, with a session or a token): the process
# control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ; form 05 of Circular 01/2018/TT-VPCP,
# form 06 of Circular 03/2025/TT-VPCP from 15/09/2025). It is the handover record between the
# officers and departments who hold the dossier (giver, receiver, time, the step's result),
# kept with the dossier by the one-stop unit (Decree 61/2018/NĐ-CP art. 21 as understood here;
# Decree 118/2025/NĐ-CP from 01/07/2025 keeps the sheet). The texts themselves were not at hand
# (the search found neither the article nor the annex): no provision giving the sheet to the
# applicant is known, whose right is to follow the processing, which the portal gives through
# tracking and the dossier's timeline. Revisit with the texts.
INTERNAL_SLIP_KINDS = frozenset({SlipKind.CONTROL_SHEET})

# Which form of the rulebook (procedures.rulebook) each kind of slip is.
SLIP_FORM = {
    SlipKind.RECEIPT: "receipt",
    SlipKind.SUPPLEMENT: "supplement",
    SlipKind.REFUSAL: "refusal",
    SlipKind.APOLOGY: "apology",
    SlipKind.STOP_NOTICE: "stop_notice",
    SlipKind.CONTROL_SHEET: "control_sheet",
}


class StepOutcome(models.TextChoices):
    DONE = "done", _("Hoàn thành")
    SENT_BACK = "sent_back", _("Trả lại bước trước")
    REASSIGNED = "reassigned", _("Chuyển người xử lý")
    PAUSED = "paused", _("Tạm dừng chờ công dân")
    CLOSED = "closed", _("Kết thúc xử lý")
    HANDED_OVER = "handed_over", _("Chuyển hồ sơ điện tử đến cơ quan có thẩm quyền giải quyết")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")


class ResultStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    FINAL = "final", _("Đã phê duyệt")
    VOID = "void", _("Huỷ")


class Outcome(models.TextChoices):
    GRANTED = "granted", _("Giải quyết")
    DECLINED = "declined", _("Từ chối giải quyết")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Tại Bộ phận Một cửa")
    POST = "post", _("Qua dịch vụ bưu chính")
    ONLINE = "online", _("Trực tuyến (kho dữ liệu điện tử)")


class DocumentSource(models.TextChoices):
    UPLOAD = "upload", _("Tải lên")
    SCAN = "scan", _("Scan tại quầy")
    RESULT = "result", _("Kết quả điện tử")
    RECEIPT = "receipt", _("Biên lai điện tử")
    FORM = "form", _("Tờ khai trực tuyến")
    NATIONAL = "national", _("Lấy từ cơ sở dữ liệu quốc gia")


class PreviewState(models.TextChoices):
    """A document's page images for viewing in the page (bản xem trước)."""

    PENDING = "pending", _("Đang chuẩn bị")
    READY = "ready", _("Sẵn sàng")
    TOO_LARGE = "too_large", _("Tệp quá lớn để xem trước")
    FAILED = "failed", _("Không tạo được bản xem trước")


# The files shown as page images: a PDF's first pages, an image scaled.
PREVIEW_PDF_TYPES = frozenset({"application/pdf"})
PREVIEW_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


class DocumentReuse(models.TextChoices):
    """Where a dossier document came from when the applicant did not hand it in anew (once-only)."""

    NONE = "", _("Nộp mới")
    STORE = "store", _("Tái sử dụng từ kho dữ liệu của người nộp")
    NATIONAL = "national", _("Lấy từ cơ sở dữ liệu quốc gia")


class Rating(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    DISSATISFIED = "dissatisfied", _("Không hài lòng")


# Labels of the actions recorded in dossier events, shown on timelines everywhere.
EVENT_ACTION_LABELS = {
    "submit": _("Nộp hồ sơ trực tuyến"),
    "receive": _("Tiếp nhận hồ sơ"),
    "refuse": _("Từ chối tiếp nhận hồ sơ"),
    "hand_over": _("Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết"),
    "request_supplement": _("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "supplement_submitted": _("Nộp bổ sung hồ sơ"),
    "assign": _("Phân công xử lý"),
    "reassign": _("Phân công lại"),
    "forward": _("Chuyển bước xử lý"),
    "consult": _("Lấy ý kiến cơ quan liên quan"),
    "consult_reply": _("Cơ quan liên quan trả lời"),
    "propose": _("Trình lãnh đạo phê duyệt"),
    "approve": _("Lãnh đạo phê duyệt"),
    "reject": _("Lãnh đạo trả lại"),
    "send_back": _("Trả lại bước trước"),
    "request_payment": _("Yêu cầu thực hiện nghĩa vụ tài chính"),
    "payment_received": _("Đã thanh toán phí, lệ phí"),
    "payment_refunded": _("Hoàn tiền phí, lệ phí"),
    "apology": _("Xin lỗi và hẹn lại ngày trả kết quả"),
    "stop": _("Dừng xử lý hồ sơ"),
    "resolve": _("Xử lý xong"),
    "sign": _("Ký số kết quả"),
    "return": _("Trả kết quả"),
    "return_result": _("Trả kết quả"),
    "withdraw_requested": _("Công dân xin rút hồ sơ"),
    "withdraw_accept": _("Chấp nhận rút hồ sơ"),
    "withdraw_accepted": _("Chấp nhận rút hồ sơ"),
    "withdraw_reject": _("Không chấp nhận rút hồ sơ"),
    "withdraw_rejected": _("Không chấp nhận rút hồ sơ"),
    "rated": _("Đánh giá mức độ hài lòng"),
}


def event_label(event) -> str:
    """Vietnamese label of a dossier event for timelines (pages, tracking, API)."""
    if event.action == "submit":
        channel = (event.payload or {}).get("channel")
        if channel == Channel.COUNTER:
            return str(_("Nộp hồ sơ trực tiếp tại Bộ phận Một cửa"))
        if channel == Channel.POST:
            return str(_("Nộp hồ sơ qua dịch vụ bưu chính"))
    if event.action in EVENT_ACTION_LABELS:
        return str(EVENT_ACTION_LABELS[event.action])
    if event.to_state and event.to_state != event.from_state and event.to_state in DossierState.values:
        return _("Chuyển trạng thái: %(state)s") % {"state": DossierState(event.to_state).label}
    return event.action.replace("_", " ").capitalize()


DRAFT_RETENTION_DAYS = 30
TRACKING_PIN_LENGTH = 8


class IndexGroup(models.TextChoices):
    """The five groups of the service-quality index (Decision 766/QĐ-TTg of 23 June 2022)."""

    TRANSPARENCY = "transparency", _("Công khai, minh bạch")
    TIMELINESS = "timeliness", _("Tiến độ, kết quả giải quyết")
    DIGITISATION = "digitisation", _("Số hóa hồ sơ")
    ONLINE = "online", _("Cung cấp dịch vụ trực tuyến")
    SATISFACTION = "satisfaction", _("Mức độ hài lòng")


class IndexIndicator(models.TextChoices):
    """The indicators of the index; ``dossiers.stats.index.INDICATORS`` gives each one's group,
    formula and source figures."""

    # Transparency, items 1.1–1.4 of the national list (``dossiers.stats.index``, "where the
    # figures come from").
    PUBLICATION = "publication", _("Thủ tục hành chính công bố đúng hạn")
    PUBLIC_UPDATE = "public_update", _("Thủ tục hành chính được cập nhật, công khai đúng hạn")
    PUBLIC_CONTENT = "public_content", _("Thủ tục hành chính công khai đầy đủ các bộ phận tạo thành")
    NATIONAL_SYNC = "national_sync", _("Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia")
    # Not in the national list: the first rule set's own line, removed by migration 0024; kept
    # so that a rule set an admin wrote with it still reads.
    PUBLIC_PROGRESS = "public_progress", _("Công khai tiến độ, kết quả giải quyết (không thuộc danh mục quốc gia)")
    ON_TIME = "on_time", _("Hồ sơ giải quyết đúng hạn")
    AVG_PROCESSING_TIME = "avg_processing_time", _("Thời gian giải quyết trung bình")
    # Digitisation, items 4.1–4.5 of the national list (migration 0025).
    E_RESULT = "e_result", _("Cấp kết quả điện tử")
    DIGITISED_DOSSIERS = "digitised_dossiers", _("Hồ sơ thực hiện số hóa thành phần hồ sơ, kết quả giải quyết")
    E_CERTIFIED_COPY = "e_certified_copy", _("Cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính")
    REUSE = "reuse", _("Khai thác, sử dụng lại dữ liệu đã số hóa")
    SHARED_REUSE = "shared_reuse", _("Hồ sơ số hóa kết nối, chia sẻ dữ liệu để tái sử dụng")
    POPULATION_DOSSIERS = "population_dossiers", _("Hồ sơ sử dụng thông tin từ CSDL quốc gia về dân cư")
    POPULATION_PROCEDURES = "population_procedures", _("Thủ tục hành chính kết nối, chia sẻ dữ liệu dân cư")
    # Not in the national list: the first rule set's document-level digitisation line, removed by
    # migration 0025; kept so that a rule set an admin wrote with it still reads.
    DIGITISED = "digitised", _("Số hóa giấy tờ của hồ sơ (không thuộc danh mục quốc gia)")
    # Online services, items 3.1, 3.3, 3.5, 3.6 and the fully-online line of the national list.
    FULLY_ONLINE = "fully_online", _("Hồ sơ trực tuyến toàn trình trên hồ sơ của thủ tục đủ điều kiện toàn trình")
    ONLINE_PROCEDURES = "online_procedures", _("Thủ tục hành chính cung cấp dịch vụ công trực tuyến")
    ONLINE_E_RESULT = "online_e_result", _("Hồ sơ nộp trực tuyến có kết quả điện tử")
    PAYMENT_PROCEDURES = "payment_procedures", _("Thủ tục có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến")
    PAYMENT_PROCEDURES_USED = "payment_procedures_used", _("Thủ tục có giao dịch thanh toán trực tuyến")
    ONLINE_PAYMENT = "online_payment", _("Hồ sơ thanh toán trực tuyến")
    # Not in the national list: the first rule set's dossier-level online share, removed by
    # migration 0025 (the 80 % of item 3.1 is a share of procedures); kept for rule sets that hold it.
    ONLINE_SHARE = "online_share", _("Hồ sơ tiếp nhận trực tuyến (không thuộc danh mục quốc gia)")
    FEEDBACK_ON_TIME = "feedback_on_time", _("Phản ánh, kiến nghị xử lý đúng hạn")
    FEEDBACK_SATISFIED = "feedback_satisfied", _("Hài lòng trong xử lý phản ánh, kiến nghị")
    SATISFACTION = "satisfaction", _("Hài lòng trong tiếp nhận, giải quyết thủ tục hành chính")


class FigureSource(models.TextChoices):
    """Where a figure of a rule set (points, full-points threshold) was taken from: the text of
    the decision or its guidance, a secondary description of it (a news page, the issue's
    reference figures), or the portal's own assumption. Shown next to the figure."""

    TEXT = "text", _("Theo văn bản")
    SECONDARY = "secondary", _("Theo bản mô tả thứ cấp, chưa đối chiếu văn bản")
    ASSUMPTION = "assumption", _("Giả định của cổng, chưa có văn bản")


class MissionTargetKey(models.TextChoices):
    """The mission's target figures (chuyển đổi số, cải cách thủ tục hành chính)."""

    FULLY_ONLINE = "fully_online", _("Tỷ lệ hồ sơ trực tuyến toàn trình")
    REUSE = "reuse", _("Tỷ lệ hồ sơ tái sử dụng dữ liệu (chỉ nhập một lần)")
    SATISFACTION = "satisfaction", _("Tỷ lệ hài lòng")
    ON_TIME = "on_time", _("Tỷ lệ giải quyết đúng hạn")
    DIGITISATION = "digitisation", _("Tỷ lệ số hóa hồ sơ, kết quả")
    E_RESULT = "e_result", _("Tỷ lệ cấp kết quả điện tử")


# The parameters of a worklist or of the officer search that filter it (the page, its size and
# the export format do not): read by the search form and kept by the officer's saved filters.
WORKLIST_FILTER_KEYS = (
    "q",
    "procedure",
    "field",
    "status",
    "channel",
    "due",
    "days",
    "assignee",
    "department",
    "received_from",
    "received_to",
    "sort",
)
