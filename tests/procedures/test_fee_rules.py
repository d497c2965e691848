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
