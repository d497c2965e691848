"""Fee items per copy and chosen by an answer, on the demo criminal-record procedure (2.000488):
200,000 đ, or 100,000 đ for the reduced group, and 5,000 đ per copy from the third one."""

import pytest

from dossiers.services.payments import fee_lines
from procedures import selectors as procedure_selectors
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
