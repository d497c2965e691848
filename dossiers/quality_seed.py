"""The service-quality index's first rule set (Decision 766/QĐ-TTg) and the mission's targets, as
seeded by migration 0019 (sources added by 0022, the national list of the transparency and progress
groups by 0024) and re-created by ``seed_defaults`` when missing (the test suite's flushed
databases). No model import: the caller passes the app registry."""

import datetime
from decimal import Decimal

# The rule set and targets known when the portal was built, with the transparency and progress
# groups aligned (migration 0024) to the national list as described below. Each line says its
# basis and, for its points and its threshold, where the figure comes from: "text" (the decision
# or its guidance), "secondary" (a description of it: news pages introducing the decision, a
# written description of the formulas, the national portal's point table as copied in public
# code) or "assumption" (the portal's own). The annex of Decision 766/QĐ-TTg (its formula table)
# was not at hand: no figure below is "text".
_NOT_AT_HAND = (
    "Phụ lục (bảng công thức) của Quyết định 766/QĐ-TTg chưa có trong tay: điểm chia cho từng chỉ số trong nhóm "
    "là giả định của cổng, cần đối chiếu."
)
_GROUPS = (
    "Điểm tối đa của nhóm theo bản tin giới thiệu Quyết định (Sở Nội vụ Nam Định, sonoivu.namdinh.gov.vn; "
    "cchc.soctrang.gov.vn)."
)
_ISSUE = "Ngưỡng theo bản mô tả công thức (số liệu tham chiếu của issue 22), chưa đối chiếu phụ lục."
# The national list (checked 3 December 2026): a written description of the formulas, "Mô tả công
# thức tính chỉ số 766" (items 1.1–1.4, 2.1, 2.2, 3.x, 4.x, 5.x), and the point table of the
# national evaluation system (1.1: 6, 1.2: 4, 1.3: 2, 1.4: 6; 2.1: 20), both as copied in a public
# code repository; baocaotaichinh.vn's summary of the decision agrees on two of them ("cập nhật,
# công khai đúng hạn" 4 of 18, on time at most 20). Neither is the decision's annex.
_LIST = (
    "Danh mục và điểm theo bản mô tả công thức “Mô tả công thức tính chỉ số 766” và bảng điểm của Hệ thống đánh "
    "giá trên Cổng Dịch vụ công quốc gia (chép lại trong một kho mã nguồn công khai); baocaotaichinh.vn tóm tắt "
    "Quyết định cũng ghi “cập nhật, công khai đúng hạn” 4/18 điểm và “xử lý hồ sơ đúng hạn” tối đa 20 điểm. Phụ "
    "lục của Quyết định chưa có trong tay."
)
_NO_THRESHOLD = "Bản mô tả không nêu ngưỡng đạt điểm tối đa: cổng tính điểm theo tỷ lệ (ngưỡng 100 %, giả định)."
_PROVINCE_ONLY = "Bản mô tả: chỉ tính cho cấp tỉnh, không tính cho đơn vị cấp dưới."
S, A = "secondary", "assumption"
RULES_766 = [
    # indicator, max points, full-points threshold (%), points' source, threshold's source, note
    (
        "publication",
        "6",
        "100",
        S,
        A,
        "Mục 1.1. Số TTHC công bố đúng hạn / Tổng số TTHC đã công bố trong kỳ; cấp tỉnh: ngày quyết định công bố "
        "không muộn hơn ngày hiệu lực của văn bản quy định thủ tục trừ 5 ngày làm việc. "
        f"{_PROVINCE_ONLY} {_NO_THRESHOLD} {_LIST}",
    ),
    (
        "public_update",
        "4",
        "100",
        S,
        A,
        "Mục 1.2. Số TTHC công khai đúng hạn trên CSDL quốc gia về TTHC / Tổng số TTHC phải cập nhật, công khai "
        "trong kỳ; cấp tỉnh: công khai trong 5 ngày làm việc kể từ ngày quyết định công bố. "
        f"{_PROVINCE_ONLY} {_NO_THRESHOLD} {_LIST}",
    ),
    (
        "public_content",
        "2",
        "100",
        S,
        A,
        "Mục 1.3. Số TTHC có đủ bộ phận tạo thành theo khoản 2 Điều 8 Nghị định 63/2010/NĐ-CP (tên, trình tự, cách "
        "thức, thành phần hồ sơ, thời hạn, đối tượng, cơ quan thực hiện) / Tổng số TTHC đã công khai; tính đến thời "
        f"điểm hiện tại, không theo kỳ. {_PROVINCE_ONLY} {_NO_THRESHOLD} {_LIST}",
    ),
    (
        "national_sync",
        "6",
        "100",
        S,
        A,
        "Mục 1.4. Số hồ sơ đã đồng bộ có ngày tiếp nhận trong kỳ / Tổng số hồ sơ tiếp nhận trong kỳ; kỳ không có hồ "
        "sơ: mẫu số lấy theo năm trước liền kề, không có thì tỷ lệ bằng 0. "
        f"{_NO_THRESHOLD} {_LIST}",
    ),
    (
        "on_time",
        "20",
        "100",
        S,
        A,
        "Mục 2.1. Cả 20 điểm của nhóm Tiến độ, kết quả giải quyết dành cho tỷ lệ đúng hạn; yêu cầu bổ sung quá một "
        "lần tính là quá hạn; thời gian công dân bổ sung không tính. Bản mô tả không nêu cách quy đổi điểm: cổng "
        f"tính theo tỷ lệ (giả định). {_LIST}",
    ),
    (
        "avg_processing_time",
        "0",
        "100",
        S,
        A,
        "Mục 2.2. Thời gian giải quyết trung bình = Tổng thời gian giải quyết / Tổng số hồ sơ; chỉ theo dõi, không "
        f"chấm điểm (bảng điểm không có điểm cho mục này; bản mô tả không có quy tắc quy đổi). {_LIST}",
    ),
    ("digitised", "8", "80", A, S, f"{_ISSUE} {_NOT_AT_HAND}"),
    ("e_result", "7", "100", A, A, "Ngưỡng 100% theo mục tiêu kết quả điện tử (giả định). " + _NOT_AT_HAND),
    ("reuse", "7", "80", A, S, f"{_ISSUE} {_NOT_AT_HAND}"),
    ("online_share", "8", "80", A, S, f"{_ISSUE} {_NOT_AT_HAND}"),
    (
        "online_e_result",
        "7",
        "50",
        A,
        S,
        "Chỉ tính hồ sơ có kết quả điện tử có mã và đường dẫn. " + f"{_ISSUE} {_NOT_AT_HAND}",
    ),
    ("online_payment", "7", "80", A, S, f"{_ISSUE} {_NOT_AT_HAND}"),
    ("feedback_on_time", "6", "100", A, A, "Nhóm Mức độ hài lòng 18 điểm. " + _NOT_AT_HAND),
    ("feedback_satisfied", "6", "100", A, A, "Nhóm Mức độ hài lòng 18 điểm. " + _NOT_AT_HAND),
    (
        "satisfaction",
        "6",
        "90",
        A,
        S,
        "Ngưỡng 90% (mục tiêu của Nghị quyết 76/NQ-CP theo bản mô tả của issue 22). " + _NOT_AT_HAND,
    ),
]
# What migration 0019 seeded in the transparency and progress groups before the national list
# was found (indicator: points, threshold): migration 0024 replaces these lines when they still
# hold these figures.
FIRST_LINES = {
    "publication": ("4", "100"),
    "national_sync": ("8", "100"),
    "public_progress": ("6", "100"),
    "on_time": ("20", "100"),
}
_BASIS_START = (
    "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ (hiệu lực từ ngày ký; Điều 1 phê duyệt Bộ chỉ "
    "số; hệ thống đánh giá vận hành chính thức từ 01/8/2022). "
)
BASIS_766_FIRST = _BASIS_START + _GROUPS + " " + _NOT_AT_HAND
BASIS_766 = (
    _BASIS_START
    + _GROUPS
    + " Nhóm Công khai, minh bạch và nhóm Tiến độ, kết quả giải quyết theo danh mục quốc gia (mục 1.1–1.4, 2.1, "
    "2.2): "
    + _LIST
    + " Chỉ số không có số liệu trong kỳ (không có hồ sơ để tính) không được tính vào tổng: văn bản có trong tay "
    "không nói cách chấm; tổng điểm ghi rõ “chấm trên” số điểm có số liệu. Riêng mục 1.4 theo bản mô tả: kỳ không có "
    "hồ sơ thì tỷ lệ đồng bộ bằng 0."
)
TARGETS = [
    (
        "fully_online",
        "80",
        "2025-01-01",
        "Nghị quyết 76/NQ-CP (2021): 80% hồ sơ trực tuyến toàn trình đến 2025 — "
        "văn bản chưa có trong tay, số liệu theo issue 22.",
    ),
    (
        "reuse",
        "80",
        "2025-01-01",
        "Mục tiêu chỉ nhập dữ liệu một lần — văn bản chưa có trong tay, số liệu theo issue 22.",
    ),
    ("satisfaction", "90", "2025-01-01", "Nghị quyết 76/NQ-CP (2021): tối thiểu 90% hài lòng."),
    ("satisfaction", "95", "2026-01-01", "Quyết định 1565/QĐ-TTg năm 2025: 95% hài lòng cho năm 2026."),
    (
        "on_time",
        "100",
        "2025-07-01",
        "Nghị định 118/2025/NĐ-CP: giải quyết đúng hạn mọi hồ sơ — mức mục tiêu là giả "
        "định, văn bản chưa có trong tay.",
    ),
    (
        "digitisation",
        "80",
        "2025-01-01",
        "Mục tiêu số hóa hồ sơ, kết quả — văn bản chưa có trong tay, số liệu theo issue 22.",
    ),
    ("e_result", "100", "2025-01-01", "Mục tiêu 100% kết quả điện tử (issue 22) — văn bản chưa có trong tay."),
]


def seed_defaults(apps) -> None:
    """Create the rule set and targets below when missing (idempotent); ``apps`` is the migration's
    registry or ``django.apps.apps``."""
    IndexRuleSet = apps.get_model("dossiers", "IndexRuleSet")
    IndexRule = apps.get_model("dossiers", "IndexRule")
    MissionTarget = apps.get_model("dossiers", "MissionTarget")
    rule_set, created = IndexRuleSet.objects.get_or_create(
        effective_from=datetime.date(2022, 6, 23),
        defaults={"name": "Bộ chỉ số theo Quyết định 766/QĐ-TTg", "basis": BASIS_766},
    )
    # Migration 0019's registry has no source fields yet; 0022 fills them (``sources_update``).
    with_sources = "full_at_source" in {f.name for f in IndexRule._meta.get_fields()}
    if created:
        for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
            sources = {"max_points_source": points_source, "full_at_source": full_at_source} if with_sources else {}
            IndexRule.objects.create(
                rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at, note=note, **sources
            )
    for key, target, day, basis in TARGETS:
        MissionTarget.objects.get_or_create(
            key=key, effective_from=datetime.date.fromisoformat(day), defaults={"target": target, "basis": basis}
        )


def sources_update(apps) -> None:
    """Give the seeded rule set's lines, when they still hold the seeded figures, the source of
    each figure and the notes above (migration 0022); lines an admin changed are left alone."""
    IndexRule = apps.get_model("dossiers", "IndexRule")
    IndexRuleSet = apps.get_model("dossiers", "IndexRuleSet")
    rule_set = IndexRuleSet.objects.filter(effective_from=datetime.date(2022, 6, 23)).first()
    if rule_set is None:
        return
    if rule_set.basis.startswith("Quyết định 766/QĐ-TTg ngày 23/6/2022") and "Điều 1" not in rule_set.basis:
        rule_set.basis = BASIS_766
        rule_set.save(update_fields=["basis"])
    for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
        IndexRule.objects.filter(rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at).update(
            max_points_source=points_source, full_at_source=full_at_source, note=note
        )


def national_list_update(apps) -> None:
    """Migration 0024: align the seeded rule set's transparency and progress groups with the
    national list (1.1 publication 6, 1.2 update 4, 1.3 content 2, 1.4 sync 6; 2.1 on time 20,
    2.2 average time tracked, 0 points; the portal's own "public progress" line goes) when its
    lines still hold the first seed's figures; a rule set an admin changed is left alone. Then
    the notes and sources of the lines that hold the figures above (idempotent)."""
    IndexRule = apps.get_model("dossiers", "IndexRule")
    IndexRuleSet = apps.get_model("dossiers", "IndexRuleSet")
    rule_set = IndexRuleSet.objects.filter(effective_from=datetime.date(2022, 6, 23)).first()
    if rule_set is None:
        return
    lines = {r.indicator: r for r in IndexRule.objects.filter(rule_set=rule_set)}
    added = {"public_update", "public_content", "avg_processing_time"}
    first = all(
        key in lines and (lines[key].max_points, lines[key].full_at) == (Decimal(points), Decimal(full_at))
        for key, (points, full_at) in FIRST_LINES.items()
    )
    if first and not added & lines.keys():
        lines["public_progress"].delete()
        for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
            figures = {"max_points": points, "full_at": full_at}
            sources = {"max_points_source": points_source, "full_at_source": full_at_source, "note": note}
            if indicator in added:
                IndexRule.objects.create(rule_set=rule_set, indicator=indicator, **figures, **sources)
            elif indicator in FIRST_LINES:
                IndexRule.objects.filter(pk=lines[indicator].pk).update(**figures, **sources)
    for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
        IndexRule.objects.filter(rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at).update(
            max_points_source=points_source, full_at_source=full_at_source, note=note
        )
    if rule_set.basis == BASIS_766_FIRST:
        rule_set.basis = BASIS_766
        rule_set.save(update_fields=["basis"])
