"""The service-quality index's first rule set (Decision 766/QĐ-TTg) and the mission's targets, as
seeded by migration 0014 and re-created by ``seed_defaults`` when missing (the test suite's
flushed databases). No model import: the caller passes the app registry."""

import datetime

# The rule set and targets known when the portal was built. Each line says its basis; where the
# text was not at hand, the figure is the reference figure or an assumption, and says so.
_NOT_AT_HAND = "Phụ lục của Quyết định chưa có trong tay khi xây dựng; điểm chia trong nhóm là giả định, cần đối chiếu."
RULES_766 = [
    # indicator, max points, full-points threshold (%), note
    ("publication", "4", "100", "Nhóm Công khai, minh bạch 18 điểm; 4 điểm theo bản tóm tắt Quyết định 766/QĐ-TTg."),
    ("national_sync", "8", "100", _NOT_AT_HAND),
    ("public_progress", "6", "100", _NOT_AT_HAND),
    (
        "on_time",
        "20",
        "100",
        "Nhóm Tiến độ, kết quả giải quyết 20 điểm. Yêu cầu bổ sung quá một lần tính là quá hạn "
        "(số liệu tham chiếu của issue 22; văn bản hướng dẫn chưa có trong tay).",
    ),
    ("digitised", "8", "80", "Ngưỡng 80% số hóa (số liệu tham chiếu của issue 22). " + _NOT_AT_HAND),
    ("e_result", "7", "100", "Ngưỡng 100% theo mục tiêu kết quả điện tử. " + _NOT_AT_HAND),
    ("reuse", "7", "80", "Ngưỡng 80% tái sử dụng (số liệu tham chiếu của issue 22). " + _NOT_AT_HAND),
    ("online_share", "8", "80", "Ngưỡng 80% hồ sơ trực tuyến (số liệu tham chiếu của issue 22). " + _NOT_AT_HAND),
    (
        "online_e_result",
        "7",
        "50",
        "Ngưỡng 50%, chỉ tính hồ sơ có kết quả điện tử có mã và đường dẫn (số liệu tham "
        "chiếu của issue 22). " + _NOT_AT_HAND,
    ),
    (
        "online_payment",
        "7",
        "80",
        "Ngưỡng 80% thanh toán trực tuyến (số liệu tham chiếu của issue 22). " + _NOT_AT_HAND,
    ),
    ("feedback_on_time", "6", "100", "Nhóm Mức độ hài lòng 18 điểm gồm 3 tỷ lệ (bản tóm tắt Quyết định 766/QĐ-TTg)."),
    ("feedback_satisfied", "6", "100", "Nhóm Mức độ hài lòng 18 điểm gồm 3 tỷ lệ (bản tóm tắt Quyết định 766/QĐ-TTg)."),
    (
        "satisfaction",
        "6",
        "90",
        "Tối đa 6/18 điểm khi đạt mục tiêu của Nghị quyết 76/NQ-CP; ngưỡng 90% (số liệu tham chiếu của issue 22).",
    ),
]
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
        defaults={
            "name": "Bộ chỉ số theo Quyết định 766/QĐ-TTg",
            "basis": "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ (hiệu lực từ ngày ký). "
            + _NOT_AT_HAND,
        },
    )
    if created:
        for indicator, points, full_at, note in RULES_766:
            IndexRule.objects.create(
                rule_set=rule_set, indicator=indicator, max_points=points, full_at=full_at, note=note
            )
    for key, target, day, basis in TARGETS:
        MissionTarget.objects.get_or_create(
            key=key, effective_from=datetime.date.fromisoformat(day), defaults={"target": target, "basis": basis}
        )
