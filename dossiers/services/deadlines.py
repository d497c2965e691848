"""The deadline sweep (theo dõi thời hạn) and the leaders' daily digest, run by Celery beat.

Every few minutes the sweep looks for what has just become due, using partial indexes that
hold only open, not-yet-marked rows, so a run reads the handful of rows that changed rather
than the whole table:

- a step due within one working day: its holder (the assignee, or the officers of the step's
  role) and the department heads are told once (``DossierStep.due_soon_notified_at``);
- a step overdue: the same people, once (``overdue_notified_at``);
- a dossier due within one working day (``Dossier.due_soon_at``): the responsible officer is
  told, and reminded that an apology letter (form 04) is required unless one was issued;
- a dossier overdue (``escalated_at``): the agency's leaders are told, once.
- an online dossier still waiting for reception (status 1) within ``RECEPTION_WARN_MINUTES``
  working minutes of its reception deadline (``reception_due_at``, 8 working hours after
  submission, Decree 45/2020): the reception officers are told, once (``reception_warned_at``);
  past it (``reception_escalated_at``): the reception officers and the leaders, once.

Each batch locks its rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks them in the
same transaction as the notifications it writes (messages leave through the outbox after
commit), so running the sweep twice, or on two workers at once, notifies nobody twice.
Dossiers waiting for the applicant (status 5 and 6) are not swept: their clock is paused.

The horizon "within one working day" uses the default working calendar (the holidays and
working hours shared by the province's agencies); an agency with its own calendar is
checked against the same horizon, at worst a few hours early.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import DossierState, SlipKind, StatusCode
from dossiers.core.notices import form_cited
from dossiers.models import AgencyDigest, Dossier, DossierStep
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from portal.notifications import notify
from procedures import selectors as procedure_selectors

BATCH_SIZE = 500
# How long before an online dossier's reception deadline the reception officers are warned.
RECEPTION_WARN_MINUTES = 2 * 60
SWEPT_CODES = (StatusCode.RECEIVED, StatusCode.PROCESSING)
_ROLE_PERMISSION = {
    "reception": OfficerPermission.RECEIVE,
    "specialist": OfficerPermission.PROCESS,
    "department_head": OfficerPermission.REVIEW,
    "leader": OfficerPermission.APPROVE,
}


@dataclass
class SweepResult:
    steps_due_soon: int = 0
    steps_overdue: int = 0
    dossiers_due_soon: int = 0
    dossiers_escalated: int = 0
    receptions_due_soon: int = 0
    receptions_overdue: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def sweep_horizon(now: dt.datetime) -> dt.datetime:
    """One working day from ``now`` on the default calendar."""
    start = procedure_selectors.next_working_moment(agency=None, moment=now)
    return procedure_selectors.add_working_minutes(agency=None, moment=start, minutes=8 * 60)


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else "—"


def _url(dossier: Dossier) -> str:
    return f"/officer/dossiers/{dossier.code}/"


def _context(dossier: Dossier, **extra) -> dict:
    return {
        "dossier_code": dossier.code,
        "procedure": dossier.procedure_version.name,
        "url": _url(dossier),
        "due": _when(dossier.due_at),
        # The apology the officer is reminded of, as the dossier's rule set names it (form 04).
        **form_cited(dossier, SlipKind.APOLOGY),
        **extra,
    }


def _users(agency_id: int, permission) -> list:
    return list(portal_selectors.users_with_permission(agency_id=agency_id, permission=permission))


class _People:
    """The officers told about deadlines, read once per agency and permission in a sweep
    rather than once per row (a batch holds up to ``BATCH_SIZE`` rows of a few agencies)."""

    def __init__(self):
        self._cache: dict[tuple[int, str], list] = {}

    def with_permission(self, agency_id: int, permission) -> list:
        key = (agency_id, str(permission))
        if key not in self._cache:
            self._cache[key] = _users(agency_id, permission)
        return self._cache[key]

    def for_step(self, step: DossierStep) -> list:
        """A step's holder (its assignee, or the officers of its role) and the department heads."""
        holders = (
            [step.assignee]
            if step.assignee_id
            else self.with_permission(step.agency_id, _ROLE_PERMISSION.get(step.role, ""))
        )
        seen, people = set(), []
        for user in [*holders, *self.with_permission(step.agency_id, OfficerPermission.REVIEW)]:
            if user is not None and user.pk not in seen:
                seen.add(user.pk)
                people.append(user)
        return people

    def responsible(self, dossier: Dossier) -> list:
        """The officer answerable for the appointment: the assignee, else those who may apologise."""
        if dossier.assigned_to_id:
            return [dossier.assigned_to]
        return self.with_permission(dossier.receiving_agency_id, OfficerPermission.ISSUE_APOLOGY)


def _batches(queryset, mark) -> int:
    """Lock, mark and notify candidates batch by batch; returns how many rows were marked."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(queryset.select_for_update(skip_locked=True, of=("self",))[:BATCH_SIZE])
            for row in rows:
                mark(row)
        total += len(rows)
        if len(rows) < BATCH_SIZE:
            return total


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    horizon = sweep_horizon(now)
    result = SweepResult()
    steps = DossierStep.objects.select_related("dossier__procedure_version", "assignee").filter(
        finished_at__isnull=True, dossier__status_code__in=SWEPT_CODES
    )

    people = _People()

    def step_mark(field: str, event: str):
        def mark(step: DossierStep) -> None:
            setattr(step, field, now)
            step.save(update_fields=[field])
            context = {**_context(step.dossier), "due": _when(step.due_at), "step": step.name}
            for user in people.for_step(step):
                notify(user, event, context)
                result.notifications += 1

        return mark

    step_soon = step_mark("due_soon_notified_at", "deadline.due_soon")
    step_late = step_mark("overdue_notified_at", "deadline.overdue")

    result.steps_overdue = _batches(
        steps.filter(overdue_notified_at__isnull=True, due_at__lt=now).order_by("due_at", "pk"), step_late
    )
    # A step found already overdue is not also announced as due soon.
    DossierStep.objects.filter(
        finished_at__isnull=True, due_soon_notified_at__isnull=True, overdue_notified_at__isnull=False
    ).update(due_soon_notified_at=now)
    result.steps_due_soon = _batches(
        steps.filter(due_soon_notified_at__isnull=True, due_at__lte=horizon).order_by("due_at", "pk"), step_soon
    )

    dossiers = Dossier.objects.select_related("procedure_version", "assigned_to", "receiving_agency").filter(
        status_code__in=SWEPT_CODES
    )

    def dossier_soon(dossier: Dossier) -> None:
        dossier.due_soon_at = now
        dossier.save(update_fields=["due_soon_at"])
        for user in people.responsible(dossier):
            notify(user, "deadline.due_soon", _context(dossier))
            result.notifications += 1

    def dossier_late(dossier: Dossier) -> None:
        dossier.escalated_at = now
        if dossier.due_soon_at is None:
            dossier.due_soon_at = now
        dossier.save(update_fields=["escalated_at", "due_soon_at"])
        responsible = ", ".join(str(u) for u in people.responsible(dossier)) or _("chưa phân công")
        for user in people.with_permission(dossier.receiving_agency_id, OfficerPermission.APPROVE):
            notify(user, "deadline.escalated", _context(dossier, responsible=responsible))
            result.notifications += 1

    result.dossiers_escalated = _batches(
        dossiers.filter(escalated_at__isnull=True, due_at__lt=now).order_by("due_at", "pk"), dossier_late
    )
    result.dossiers_due_soon = _batches(
        dossiers.filter(due_soon_at__isnull=True, due_at__lte=horizon).order_by("due_at", "pk"), dossier_soon
    )
    _sweep_reception(now=now, people=people, result=result)
    return result


def _sweep_reception(*, now: dt.datetime, people: "_People", result: SweepResult) -> None:
    """Online dossiers waiting for reception: warned before their deadline, escalated after it."""
    waiting = Dossier.objects.select_related("procedure_version").filter(
        status_code=StatusCode.SUBMITTED, reception_escalated_at__isnull=True, reception_due_at__isnull=False
    )
    warn_horizon = procedure_selectors.add_working_minutes(
        agency=None,
        moment=procedure_selectors.next_working_moment(agency=None, moment=now),
        minutes=RECEPTION_WARN_MINUTES,
    )

    def context(dossier: Dossier) -> dict:
        # The figure and its basis as the dossier's rule set states them (Decree 45/2020/NĐ-CP).
        rules = procedure_selectors.rule_set_at(dossier.rules_moment)
        return {
            **_context(dossier),
            "due": _when(dossier.reception_due_at),
            "reception_hours": rules.online_reception_hours,
            "reception_basis": rules.online_reception_article,
        }

    def soon(dossier: Dossier) -> None:
        dossier.reception_warned_at = now
        dossier.save(update_fields=["reception_warned_at"])
        for user in people.with_permission(dossier.receiving_agency_id, OfficerPermission.RECEIVE):
            notify(user, "deadline.reception_due_soon", context(dossier))
            result.notifications += 1

    def late(dossier: Dossier) -> None:
        dossier.reception_escalated_at = now
        dossier.reception_warned_at = dossier.reception_warned_at or now
        dossier.save(update_fields=["reception_escalated_at", "reception_warned_at"])
        seen = set()
        for permission in (OfficerPermission.RECEIVE, OfficerPermission.APPROVE):
            for user in people.with_permission(dossier.receiving_agency_id, permission):
                if user.pk not in seen:
                    seen.add(user.pk)
                    notify(user, "deadline.reception_overdue", context(dossier))
                    result.notifications += 1

    result.receptions_overdue = _batches(
        waiting.filter(reception_due_at__lt=now).order_by("reception_due_at", "pk"), late
    )
    result.receptions_due_soon = _batches(
        waiting.filter(reception_warned_at__isnull=True, reception_due_at__lte=warn_horizon).order_by(
            "reception_due_at", "pk"
        ),
        soon,
    )


# --- the daily digest ---------------------------------------------------------------------------


def agency_digest_figures(*, agency_id: int, day: dt.date, now: dt.datetime) -> dict:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    horizon = sweep_horizon(now)
    open_codes = list(SWEPT_CODES)
    figures = Dossier.objects.filter(receiving_agency_id=agency_id).aggregate(
        received=Count("pk", filter=Q(received_at__gte=start, received_at__lt=end)),
        resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        due_soon=Count("pk", filter=Q(status_code__in=open_codes, due_at__gte=now, due_at__lte=horizon)),
        overdue=Count("pk", filter=Q(status_code__in=open_codes, due_at__lt=now)),
        waiting=Count("pk", filter=Q(state__in=[DossierState.SUPPLEMENT_REQUESTED, DossierState.PAYMENT_REQUESTED])),
    )
    return figures


def daily_digest_send(*, day: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Send each agency's leaders the day's figures, once per agency and day; returns agencies sent."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    sent = 0
    for agency in procedure_selectors.agency_list():
        leaders = _users(agency.pk, OfficerPermission.APPROVE)
        if not leaders:
            continue
        with transaction.atomic():
            figures = agency_digest_figures(agency_id=agency.pk, day=day, now=now)
            _digest, created = AgencyDigest.objects.get_or_create(agency=agency, day=day, defaults={"figures": figures})
            if not created:
                continue
            for leader in leaders:
                notify(
                    leader,
                    "digest.daily",
                    {
                        "agency": agency.name,
                        "date": day.strftime("%d/%m/%Y"),
                        "url": "/officer/",
                        **figures,
                    },
                )
            sent += 1
    return sent
