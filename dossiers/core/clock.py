"""The dossier's deadline clock while it waits for the applicant (supplement, payment)."""

import datetime as dt

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
