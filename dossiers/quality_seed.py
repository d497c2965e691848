"""The service-quality index's first rule set (Decision 766/QĐ-TTg) and the mission's targets, as
seeded by migration 0019 (sources added by 0020) and re-created by ``seed_defaults`` when missing (the test suite's
flushed databases). No model import: the caller passes the app registry."""

import datetime

# The rule set and targets known when the portal was built. Each line says its basis and, for
# its points and its threshold, where the figure comes from: "text" (the decision or its
# guidance), "secondary" (a description of it: news pages introducing the decision, the reference
# figures of issue 22) or "assumption" (the portal's own). The annex of Decision 766/QĐ-TTg (its
# formula table) was not at hand: no figure below is "text".
_NOT_AT_HAND = (
    "Phụ lục (bảng công thức) của Quyết định 766/QĐ-TTg chưa có trong tay: điểm chia cho từng chỉ số trong nhóm "
    "là giả định của cổng, cần đối chiếu."
)
_GROUPS = (
    "Điểm tối đa của nhóm theo bản tin giới thiệu Quyết định (Sở Nội vụ Nam Định, sonoivu.namdinh.gov.vn; "
    "cchc.soctrang.gov.vn)."
)
_ISSUE = "Ngưỡng theo bản mô tả công thức (số liệu tham chiếu của issue 22), chưa đối chiếu phụ lục."
_TRANSPARENCY = (
    "Nhóm Công khai, minh bạch 18 điểm; bản tin dinte.gov.vn liệt kê: TTHC công bố đúng hạn, cập nhật và công "
    "khai đúng hạn, công khai đủ nội dung, hồ sơ đồng bộ lên Cổng DVCQG."
)
S, A = "secondary", "assumption"
RULES_766 = [
    # indicator, max points, full-points threshold (%), points' source, threshold's source, note
    ("publication", "4", "100", A, A, f"{_TRANSPARENCY} {_NOT_AT_HAND}"),
    ("national_sync", "8", "100", A, A, f"{_TRANSPARENCY} {_NOT_AT_HAND}"),
    ("public_progress", "6", "100", A, A, f"{_TRANSPARENCY} {_NOT_AT_HAND}"),
    (
        "on_time",
        "20",
        "100",
        A,
        A,
        "Nhóm Tiến độ, kết quả giải quyết 20 điểm; bản tin dinte.gov.vn còn nêu thời gian giải quyết trung bình "
        "theo từng TTHC, cổng chưa chấm chỉ số này nên cả 20 điểm dồn vào tỷ lệ đúng hạn (giả định). Yêu cầu "
        "bổ sung quá một lần tính là quá hạn (bản mô tả công thức của issue 22). " + _GROUPS,
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
BASIS_766 = (
    "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ (hiệu lực từ ngày ký; Điều 1 phê duyệt Bộ chỉ "
    "số; hệ thống đánh giá vận hành chính thức từ 01/8/2022). " + _GROUPS + " " + _NOT_AT_HAND
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
    # Migration 0019's registry has no source fields yet; 0020 fills them (``sources_update``).
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
    each figure and the notes above (migration 0020); lines an admin changed are left alone."""
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
