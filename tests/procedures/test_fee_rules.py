"""Fee items per copy and chosen by an answer, on the demo criminal-record procedure (2.000488):
200,000 đ, or 100,000 đ for the reduced group, and 5,000 đ per copy from the third one."""

import pytest
from django.core.exceptions import ValidationError

from dossiers.services.payments import fee_lines
from procedures import selectors as procedure_selectors
from procedures.form_schema import form_schema_validate_data
from procedures.services.transfer import catalogue_export

pytestmark = pytest.mark.django_db


def _amounts(version, answers) -> list[tuple[int, int, str]]:
    return [(line.amount, line.quantity, line.collected_at) for line in fee_lines(version=version, form_data=answers)]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"copies": 1, "fee_reduced": False}, [(200_000, 1, "at_submission")]),
        ({"copies": 2}, [(200_000, 1, "at_submission")]),
        ({"copies": 1, "fee_reduced": True}, [(100_000, 1, "at_submission")]),
        ({"copies": 3, "fee_reduced": False}, [(200_000, 1, "at_submission"), (5_000, 1, "before_result")]),
        ({"copies": 5, "fee_reduced": True}, [(100_000, 1, "at_submission"), (15_000, 3, "before_result")]),
        ({"copies": "x"}, [(200_000, 1, "at_submission")]),
    ],
)
def test_items_follow_the_answers(demo_catalogue, answers, expected):
    version = procedure_selectors.procedure_in_force_by_code("2.000488")
    assert _amounts(version, answers) == expected


def test_the_rules_survive_export(demo_catalogue):
    exported = catalogue_export()
    procedure = next(p for p in exported["procedures"] if p["code"] == "2.000488")
    assert procedure["fees"][0]["condition_field"] == "fee_reduced"
    assert procedure["fees"][2]["quantity_field"] == "copies" and procedure["fees"][2]["quantity_free"] == 2


@pytest.mark.parametrize(("copies", "expected"), [(1, [(8_000, 1)]), (2, [(16_000, 2)]), (5, [(40_000, 5)])])
def test_an_extract_copy_is_charged_per_copy(demo_catalogue, copies, expected):
    """2.000635 charges 8.000 đồng for each copy asked for (2 copies: 16.000, not 8.000)."""
    version = procedure_selectors.procedure_in_force_by_code("2.000635")
    assert [(line.amount, line.quantity) for line in fee_lines(version=version, form_data={"copies": copies})] == (
        expected
    )


@pytest.mark.parametrize("copies", [1.5, "1.5", "2,5"])
def test_copies_are_whole_numbers_only(demo_catalogue, copies):
    version = procedure_selectors.procedure_in_force_by_code("2.000635")
    answers = {"full_name": "Nguyễn Văn An", "copies": copies}
    with pytest.raises(ValidationError) as caught:
        form_schema_validate_data(version.form_schema, answers)
    assert "copies" in caught.value.message_dict
    assert "Nhập một số nguyên" in " ".join(caught.value.message_dict["copies"])


def test_an_older_fractional_answer_is_never_charged_less(demo_catalogue):
    version = procedure_selectors.procedure_in_force_by_code("2.000635")
    assert [line.amount for line in fee_lines(version=version, form_data={"copies": "1.5"})] == [16_000]


def _certified_copy_total(pages: int, copies: int) -> int:
    version = procedure_selectors.procedure_in_force_by_code("2.000815")
    return sum(line.amount for line in fee_lines(version=version, form_data={"pages": pages, "copies": copies}))


@pytest.mark.parametrize(
    ("pages", "copies", "expected"),
    [
        (1, 1, 2_000),  # 1 × 2.000
        (2, 1, 4_000),  # 2 × 2.000
        (3, 1, 5_000),  # 2 × 2.000 + 1 × 1.000
        (10, 1, 12_000),  # 2 × 2.000 + 8 × 1.000
        (198, 1, 200_000),  # 2 × 2.000 + 196 × 1.000: the cap reached exactly
        (250, 1, 200_000),  # capped at 200.000 a copy, not 252.000
        (1, 2, 4_000),  # 2 copies of 1 page
        (3, 2, 10_000),  # 2 copies × 5.000
        (250, 2, 400_000),  # 2 copies × the cap
    ],
)
def test_a_certified_copy_is_charged_by_the_page_per_copy_with_a_cap(demo_catalogue, pages, copies, expected):
    """2.000815: 2.000 đ a page, 1.000 đ a page from the third, at most 200.000 đ a copy."""
    assert _certified_copy_total(pages, copies) == expected


def test_the_certified_copy_lines_say_what_they_count(demo_catalogue):
    version = procedure_selectors.procedure_in_force_by_code("2.000815")
    lines = fee_lines(version=version, form_data={"pages": 5, "copies": 2})
    # Pages 1–2 of each copy, then pages 3–5 of each copy.
    assert [(line.unit_amount, line.quantity, line.amount) for line in lines] == [(2_000, 4, 8_000), (1_000, 6, 6_000)]
    assert "tối đa không quá 200.000 đồng/bản" in lines[1].description
    # With no count declared yet, nothing is charged rather than a guess.
    assert fee_lines(version=version, form_data={}) == []


def test_the_tiers_survive_export(demo_catalogue):
    exported = catalogue_export()
    fees = next(p for p in exported["procedures"] if p["code"] == "2.000815")["fees"]
    assert [(f["quantity_field"], f["quantity_free"], f["quantity_max"], f["per_field"]) for f in fees] == [
        ("pages", 0, 2, "copies"),
        ("pages", 2, 198, "copies"),
    ]
