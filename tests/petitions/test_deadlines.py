"""A petition's deadlines: the set in force on the day of receipt, counted in the agency's
working days (the day of receipt not counted; weekends and public holidays skipped)."""

import datetime as dt

import pytest

from dossiers.petitions import rules, selectors
from dossiers.petitions.models import PetitionRuleSet
from tests.petitions.conftest import file_one, local

pytestmark = pytest.mark.django_db


def test_the_built_in_set_says_its_figures_are_not_checked():
    chosen = rules.rules_on(rules.BUILT_IN, dt.date(2026, 1, 1))
    assert (chosen.refuse_days, chosen.info_days, chosen.answer_days) == (2, 5, 15)
    assert not chosen.verified and "20/2008/NĐ-CP" in chosen.citation and "chưa được đối chiếu" in chosen.citation


def test_across_a_public_holiday_and_a_weekend(world):
    # Wednesday 29/04/2026 10:00; Thursday 30/04 and Friday 01/05 are public holidays, then the weekend.
    petition = file_one(world, now=local(2026, 4, 29, 10, 0))
    assert petition.refuse_due_at == local(2026, 5, 5, 17, 0)  # Mon 04/05 (1), Tue 05/05 (2)
    assert petition.info_due_at == local(2026, 5, 8, 17, 0)  # Fri 08/05 (5)
    assert petition.answer_due_at == local(2026, 5, 22, 17, 0)  # three working weeks from Mon 04/05
    assert petition.agency == world.agency and petition.rules_key == "2008"


def test_across_a_weekend_and_after_hours(world):
    friday = file_one(world, now=local(2026, 11, 27, 16, 0))
    assert friday.refuse_due_at == local(2026, 12, 1, 17, 0)  # Mon 30/11, Tue 01/12
    # Received after the close on Friday: it counts as received on Monday, not counted itself.
    late = file_one(world, now=local(2026, 11, 27, 18, 0))
    assert late.refuse_due_at == local(2026, 12, 2, 17, 0)


def test_a_later_set_of_the_administrator_applies_from_its_date(world):
    PetitionRuleSet.objects.create(
        effective_from=dt.date(2026, 6, 1), answer_days=10, citation="Điều thử nghiệm", verified=True
    )
    before = file_one(world, now=local(2026, 5, 29, 9, 0))
    after = file_one(world, now=local(2026, 6, 1, 9, 0))
    assert before.answer_due_at == local(2026, 6, 19, 17, 0)  # 15 working days from Mon 01/06
    assert after.answer_due_at == local(2026, 6, 15, 17, 0)  # 10 working days from Tue 02/06
    assert after.refuse_due_at == local(2026, 6, 3, 17, 0)  # the refusal figure kept from the set before
    assert selectors.petition_rules_of(after).citation == "Điều thử nghiệm"


def test_the_admin_refuses_a_set_whose_deadlines_are_out_of_order(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Thời hạn từ chối không được dài hơn"):
        PetitionRuleSet(effective_from=dt.date(2026, 6, 1), refuse_days=6, info_days=5).full_clean()
    PetitionRuleSet(effective_from=dt.date(2026, 6, 1), refuse_days=3, answer_days=20).full_clean()
