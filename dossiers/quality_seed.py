"""The service-quality index's first rule set (Decision 766/QĐ-TTg) and the mission's targets, as
seeded by migration 0019 (sources added by 0022, the national list of the transparency and progress
groups by 0024, of the digitisation, online and satisfaction groups by 0025) and re-created by ``seed_defaults`` when missing (the test suite's flushed
databases). No model import: the caller passes the app registry."""

import datetime
from decimal import Decimal

# The rule set and targets known when the portal was built, with the transparency and progress
# groups (migration 0024), then the digitisation, online and satisfaction groups (migration 0025)
# aligned to the national list as described below. Each line says its
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
# The digitisation, online and satisfaction groups (migration 0025): the same description and
# the national point table (4.1: 6, 4.2: 4, electronic certified copies: 2, 4.3: 2, 4.4: 4, 4.5b: 2,
# 4.5a: 2; fully online dossiers: 12, 3.1 and 3.3: no points, 3.5: 2, 3.5b: 2, 3.6: 6; 5.2, 5.3,
# 5.4: 6 each), as copied in a public code repository. Neither is the decision's annex.
_TABLE = (
    "Điểm theo bảng điểm của Hệ thống đánh giá trên Cổng Dịch vụ công quốc gia (chép lại trong một kho mã nguồn "
    "công khai); nội dung chỉ số theo bản mô tả công thức “Mô tả công thức tính chỉ số 766”. Phụ lục của Quyết "
    "định chưa có trong tay."
)
_AT_80 = "Ngưỡng theo bản mô tả: đạt từ 80 % trở lên được điểm tối đa, dưới 80 % tính tỷ lệ × điểm tối đa / 80 %."
_UNSCORED = "Bảng điểm quốc gia không cho điểm mục này (“Chưa xác định”): cổng hiển thị tỷ lệ và ngưỡng, 0 điểm."
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
    # Digitisation (22), the national point table's 6 + 4 + 2 + 2 + 4 + 2 + 2 (migration 0025).
    (
        "e_result",
        "6",
        "100",
        S,
        A,
        "Mục 4.1. Số hồ sơ có kết quả giải quyết điện tử (có mã và tệp kết quả) / Tổng số hồ sơ; bản mô tả tính "
        f"trên hồ sơ của TTHC yêu cầu trả kết quả bằng văn bản, giấy tờ. {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "digitised_dossiers",
        "4",
        "80",
        S,
        S,
        "Mục 4.2. Số hồ sơ có thành phần hồ sơ được số hóa (có tệp đính kèm) và có kết quả giải quyết điện tử / "
        f"Tổng số hồ sơ. {_AT_80} {_TABLE}",
    ),
    (
        "e_certified_copy",
        "2",
        "100",
        S,
        A,
        "Cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính: bảng điểm quốc gia ghi 2 điểm; bản mô tả công "
        f"thức không có mục này; cổng chưa có dịch vụ nên chưa có số liệu. {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "reuse",
        "2",
        "80",
        S,
        S,
        "Mục 4.3. Số hồ sơ tiếp nhận trong kỳ có ít nhất một thành phần sử dụng lại thông tin, dữ liệu đã số hóa / "
        f"Tổng số hồ sơ tiếp nhận trong kỳ. {_AT_80} {_TABLE}",
    ),
    (
        "shared_reuse",
        "4",
        "100",
        S,
        A,
        "Mục 4.4. Số hồ sơ số hóa có kết nối, chia sẻ với kho dữ liệu cá nhân (thành phần lấy từ kho) / Tổng số hồ "
        "sơ tiếp nhận trong kỳ; kho dữ liệu của cổng thay cho kho trên Cổng Dịch vụ công quốc gia. "
        f"{_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "population_dossiers",
        "2",
        "100",
        S,
        A,
        "Mục 4.5 (4.5b của bảng điểm). Số hồ sơ sử dụng thông tin, dữ liệu từ CSDL quốc gia về dân cư / Tổng số hồ "
        "sơ; cổng đếm hồ sơ có tra cứu CSDL dân cư tìm thấy người được tra cứu (chưa ghi tài khoản xác thực VNeID "
        f"của hồ sơ). {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "population_procedures",
        "2",
        "100",
        S,
        A,
        "Mục 4.5 (4.5a của bảng điểm). Số TTHC có kết nối, chia sẻ dữ liệu dân cư / Tổng số TTHC có đối tượng thực "
        "hiện là công dân; cổng tính theo danh mục thủ tục (biểu mẫu điền sẵn hoặc giấy tờ lấy từ CSDL dân cư). "
        f"{_PROVINCE_ONLY} {_NO_THRESHOLD} {_TABLE}",
    ),
    # Online services (22), the national point table's 12 + 2 + 2 + 6; items 3.1 and 3.3 have no
    # points there ("Chưa xác định"): their rates and thresholds are shown, for 0 points.
    (
        "fully_online",
        "12",
        "100",
        S,
        A,
        "Bảng điểm quốc gia: hồ sơ dịch vụ công trực tuyến toàn trình trên tổng hồ sơ của TTHC đủ điều kiện toàn "
        "trình, 12 điểm; bản mô tả công thức không có mục này nên không có ngưỡng (ngưỡng 80 % của mục 3.1 là tỷ lệ "
        f"thủ tục). {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "online_procedures",
        "0",
        "80",
        S,
        S,
        "Mục 3.1. Số TTHC cung cấp dịch vụ công trực tuyến một phần, toàn trình / Tổng số TTHC của tỉnh. "
        f"{_AT_80} {_UNSCORED} {_PROVINCE_ONLY} {_TABLE}",
    ),
    (
        "online_e_result",
        "0",
        "50",
        S,
        S,
        "Mục 3.3. Tỷ lệ hồ sơ nộp trực tuyến; chỉ tính hồ sơ có kết quả điện tử có mã và đường dẫn. Ngưỡng theo bản "
        "mô tả: đạt từ 50 % trở lên được điểm tối đa, dưới 50 % tính tỷ lệ × điểm tối đa / 50 %. "
        f"{_UNSCORED} {_TABLE}",
    ),
    (
        "payment_procedures",
        "2",
        "80",
        S,
        S,
        "Mục 3.5. Số TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến / Tổng số TTHC có phí, lệ phí "
        f"(khác 0). {_AT_80} {_PROVINCE_ONLY} {_TABLE}",
    ),
    (
        "payment_procedures_used",
        "2",
        "100",
        S,
        A,
        "Mục 3.5b của bảng điểm. Số TTHC có giao dịch thanh toán trực tuyến trong kỳ / Tổng số TTHC có phí, lệ phí "
        f"(khác 0). {_PROVINCE_ONLY} {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "online_payment",
        "6",
        "100",
        S,
        A,
        "Mục 3.6. Số hồ sơ thanh toán trực tuyến / Tổng số hồ sơ của TTHC có phí, lệ phí (khác 0). Bản mô tả không "
        "ghi ngưỡng cho mục này (ngưỡng 80 % “thanh toán trực tuyến” là của mục 3.5). "
        f"{_NO_THRESHOLD} {_TABLE}",
    ),
    # Satisfaction (18), the national point table's 6 + 6 + 6 (as the first seed).
    (
        "feedback_on_time",
        "6",
        "100",
        S,
        A,
        f"Mục 5.2. Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn. {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "feedback_satisfied",
        "6",
        "100",
        S,
        A,
        "Mục 5.3. (Tổng số phản ánh, kiến nghị − số không hài lòng, tiếp tục phản ánh hoặc quá hạn) / Tổng số phản "
        f"ánh, kiến nghị. {_NO_THRESHOLD} {_TABLE}",
    ),
    (
        "satisfaction",
        "6",
        "90",
        S,
        S,
        "Mục 5.4. Ngưỡng theo bản mô tả: đạt từ 90 % trở lên được điểm tối đa, dưới 90 % tính tỷ lệ × điểm tối đa / "
        "90 %. Bản mô tả tính 100 % − (tỷ lệ hồ sơ quá hạn + tỷ lệ hồ sơ có phản ánh, kiến nghị hoặc đánh giá không "
        "hài lòng); cổng tính tỷ lệ đánh giá rất hài lòng và hài lòng trên tổng số lượt đánh giá. "
        f"{_TABLE}",
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
_NO_DATA = (
    " Chỉ số không có số liệu trong kỳ (không có hồ sơ để tính) không được tính vào tổng: văn bản có trong tay "
    "không nói cách chấm; tổng điểm ghi rõ “chấm trên” số điểm có số liệu. Riêng mục 1.4 theo bản mô tả: kỳ không có "
    "hồ sơ thì tỷ lệ đồng bộ bằng 0."
)
# The basis written by migration 0024 (transparency and progress on the national list only).
BASIS_766_0024 = (
    _BASIS_START
    + _GROUPS
    + " Nhóm Công khai, minh bạch và nhóm Tiến độ, kết quả giải quyết theo danh mục quốc gia (mục 1.1–1.4, 2.1, "
    "2.2): " + _LIST + _NO_DATA
)
BASIS_766 = (
    _BASIS_START
    + _GROUPS
    + " Cả năm nhóm theo danh mục quốc gia (mục 1.1–1.4, 2.1, 2.2, 3.1, 3.3, 3.5, 3.6, 4.1–4.5, 5.2–5.4 và các chỉ "
    "tiêu của bảng điểm không có mục trong bản mô tả): "
    + _LIST
    + " "
    + _TABLE
    + " Mục 3.1 và 3.3 không có điểm trong bảng điểm: cổng hiển thị tỷ lệ và ngưỡng, 0 điểm."
    + _NO_DATA
)
# What migrations 0019 and 0022 seeded in the digitisation and online groups before the national
# list of those groups was found (indicator: points, threshold): migration 0025 replaces these
# lines when they all still hold these figures and no line of the national list was added.
SECOND_LINES = {
    "digitised": ("8", "80"),
    "e_result": ("7", "100"),
    "reuse": ("7", "80"),
    "online_share": ("8", "80"),
    "online_e_result": ("7", "50"),
    "online_payment": ("7", "80"),
}
# The lines of the national list that the first seed did not have (added by migration 0025) and
# those it had that the list does not (removed).
SECOND_ADDED = frozenset(
    {
        "digitised_dossiers",
        "e_certified_copy",
        "shared_reuse",
        "population_dossiers",
        "population_procedures",
        "fully_online",
        "online_procedures",
        "payment_procedures",
        "payment_procedures_used",
    }
)
SECOND_REMOVED = frozenset({"digitised", "online_share"})
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
        rule_set.basis = BASIS_766_0024
        rule_set.save(update_fields=["basis"])


def national_list_second_update(apps) -> None:
    """Migration 0025: align the seeded rule set's digitisation and online groups with the national
    list (4.1 e-results 6, 4.2 digitised dossiers 4, electronic certified copies 2, 4.3 reuse 2, 4.4
    shared for reuse 4, 4.5b dossiers and 4.5a procedures using population data 2 + 2; fully online
    dossiers 12, 3.1 and 3.3 shown for 0 points, 3.5 and 3.5b payment procedures 2 + 2, 3.6 dossiers
    paid online 6; the portal's own document-level digitisation and dossier-level online share go)
    when its lines still hold the first seed's figures (``SECOND_LINES``) and none of the list's new
    lines is there; a rule set an admin changed is left alone. Then the notes and sources of the
    lines that hold the figures of ``RULES_766`` (satisfaction included), and the basis (idempotent)."""
    IndexRule = apps.get_model("dossiers", "IndexRule")
    IndexRuleSet = apps.get_model("dossiers", "IndexRuleSet")
    rule_set = IndexRuleSet.objects.filter(effective_from=datetime.date(2022, 6, 23)).first()
    if rule_set is None:
        return
    lines = {r.indicator: r for r in IndexRule.objects.filter(rule_set=rule_set)}
    seeded = all(
        key in lines and (lines[key].max_points, lines[key].full_at) == (Decimal(points), Decimal(full_at))
        for key, (points, full_at) in SECOND_LINES.items()
    )
    if seeded and not SECOND_ADDED & lines.keys():
        IndexRule.objects.filter(pk__in=[lines[key].pk for key in SECOND_REMOVED]).delete()
        for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
            figures = {"max_points": points, "full_at": full_at}
            sources = {"max_points_source": points_source, "full_at_source": full_at_source, "note": note}
            if indicator in SECOND_ADDED:
                IndexRule.objects.create(rule_set=rule_set, indicator=indicator, **figures, **sources)
            elif indicator in SECOND_LINES:
                IndexRule.objects.filter(pk=lines[indicator].pk).update(**figures, **sources)
    for indicator, points, full_at, points_source, full_at_source, note in RULES_766:
        IndexRule.objects.filter(rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at).update(
            max_points_source=points_source, full_at_source=full_at_source, note=note
        )
    if rule_set.basis in (BASIS_766_FIRST, BASIS_766_0024):
        rule_set.basis = BASIS_766
        rule_set.save(update_fields=["basis"])
