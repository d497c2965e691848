"""The dossier's clocks: the reception deadline of an online dossier, and the deadline clock
while it waits for the applicant (supplement, payment)."""

import datetime as dt

from dossiers.constants import Channel
from dossiers.models import Dossier
from procedures import selectors as procedure_selectors


def dossier_clock_resume(dossier: Dossier, now: dt.datetime) -> int:
    """Restart a paused clock: the working minutes waited since ``paused_at`` are added to
    ``paused_minutes`` and to the appointment. Returns those minutes; the caller saves."""
    paused = 0
    if dossier.paused_at is not None:
        paused = max(
            0,
            procedure_selectors.working_minutes_between(
                agency=dossier.receiving_agency, start=dossier.paused_at, end=now
            ),
        )
        dossier.paused_minutes += paused
        if dossier.due_at is not None and paused:
            dossier.due_at = procedure_selectors.add_working_minutes(
                agency=dossier.receiving_agency, moment=dossier.due_at, minutes=paused
            )
        dossier.paused_at = None
    return paused


def reception_deadline(dossier: Dossier, start: dt.datetime) -> dt.datetime | None:
    """When an online dossier reaching reception at ``start`` must be received, refused or
    asked for a supplement: ``online_reception_hours`` working hours of the receiving agency
    (Decree 45/2020/NĐ-CP: 8), counted from the next working moment, under the rule set in force
    at ``start``. None for a dossier filed at the counter or by post (received there and then)."""
    if dossier.channel != Channel.ONLINE:
        return None
    hours = procedure_selectors.rule_set_at(start).online_reception_hours
    return procedure_selectors.working_hours_after(agency=dossier.receiving_agency, moment=start, hours=hours)
