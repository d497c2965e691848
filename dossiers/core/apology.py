"""The rules of the apology letter (phiếu xin lỗi và hẹn lại ngày trả kết quả, form 04).

When a dossier will miss its appointment, the agency sends the applicant a letter with the
reason and one new appointment, *before* the appointment has passed (DESIGN.md, "Lateness").
The texts: Decree 61/2018/NĐ-CP (from 21/06/2018) and, since 01/07/2025, Decree 118/2025/NĐ-CP,
which replaced it; the form is 04 of Annex I of Circular 03/2025/TT-VPCP (from 15/09/2025),
before it of Circular 01/2018/TT-VPCP. The article text of Decree 118/2025 on the overdue
dossier was not at hand when this was written (the search tool found no copy), so the article
is not cited and the lead time is a setting: ``APOLOGY_LEAD_WORKING_MINUTES``, the working
minutes before the current appointment by which the letter must be issued (0: any time before
it). The new appointment must be a moment of the agency's working time (its calendar: working
days and hours, holidays, announced days off) and later than the current appointment.

A dossier follows the rule in force when it was received.
"""

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone

from dossiers.models import Dossier


@dataclasses.dataclass(frozen=True)
class ApologyRule:
    effective: dt.date
    basis: str
    # The letter is issued at least this many working minutes before the current appointment.
    lead_working_minutes: int


def _lead() -> int:
    return max(0, int(getattr(settings, "APOLOGY_LEAD_WORKING_MINUTES", 0)))


def apology_rules() -> tuple[ApologyRule, ...]:
    """The rules, oldest first (the lead time read from the settings each time: tests change it)."""
    return (
        ApologyRule(dt.date(2018, 6, 21), "Nghị định 61/2018/NĐ-CP; mẫu 04, Thông tư 01/2018/TT-VPCP", _lead()),
        ApologyRule(dt.date(2025, 7, 1), "Nghị định 118/2025/NĐ-CP; mẫu 04, Thông tư 03/2025/TT-VPCP", _lead()),
    )


def apology_rule_for(dossier: Dossier) -> ApologyRule:
    """The rule in force when the dossier was received (today's for one not received yet)."""
    day = timezone.localdate(dossier.received_at) if dossier.received_at else timezone.localdate()
    rules = apology_rules()
    return next((rule for rule in reversed(rules) if rule.effective <= day), rules[0])
