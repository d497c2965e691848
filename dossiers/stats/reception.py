"""Reception within 8 working hours (Decree 45/2020/NĐ-CP): how the online dossiers of a period
fared against their reception deadline (``Dossier.reception_due_at``).

For the online dossiers submitted in the period: answered by reception (received, refused or
asked for a supplement) on time, answered late, and still waiting past the deadline at
``moment``; and the on-time rate of the answered ones.
"""

import datetime as dt

from django.db.models import Count, F, Q

from dossiers.constants import StatusCode
from dossiers.models import Dossier


def reception_deadline_figures(*, agency_ids, start: dt.datetime, end: dt.datetime, moment: dt.datetime) -> dict:
    """Counts for the dossiers submitted in [start, end) to ``agency_ids`` with a reception deadline."""
    figures = Dossier.objects.filter(
        receiving_agency_id__in=list(agency_ids),
        submitted_at__gte=start,
        submitted_at__lt=end,
        reception_due_at__isnull=False,
    ).aggregate(
        answered_on_time=Count("pk", filter=Q(reception_answered_at__lte=F("reception_due_at"))),
        answered_late=Count("pk", filter=Q(reception_answered_at__gt=F("reception_due_at"))),
        waiting_overdue=Count(
            "pk",
            filter=Q(status_code=StatusCode.SUBMITTED, reception_answered_at__isnull=True, reception_due_at__lt=moment),
        ),
    )
    answered = figures["answered_on_time"] + figures["answered_late"]
    figures["on_time_rate"] = round(100 * figures["answered_on_time"] / answered, 1) if answered else None
    return figures
