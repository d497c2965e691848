"""Reads of petitions: who may see which, the officers' worklist, the public list, the rules in
force, and the statistics' counts per agency."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.petitions import rules
from dossiers.petitions.constants import OPEN_STATES, VIEW_PERMISSION, PetitionState
from dossiers.petitions.machine import TRANSITIONS
from dossiers.petitions.models import Petition, PetitionEvent, PetitionRuleSet
from portal import selectors as portal_selectors
from procedures import selectors as procedure_selectors

WORKLIST_FILTERS = ("open", "due_soon", "overdue", "closed", "all")


def petition_rules_on(day: dt.date) -> rules.PetitionRules:
    overrides = list(
        PetitionRuleSet.objects.values(
            "pk", "effective_from", "refuse_days", "info_days", "answer_days", "warn_days", "citation", "verified"
        )
    )
    for row in overrides:
        row["key"] = f"db-{row.pop('pk')}"
    return rules.rules_on(rules.rules_chain(overrides), day)


def petition_rules_of(petition: Petition) -> rules.PetitionRules:
    return petition_rules_on(timezone.localdate(petition.received_at))


def officer_agency_ids(*, user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return portal_selectors.officer_agency_ids(user=user, permission=VIEW_PERMISSION)


def petition_get_for_user(*, user, code: str) -> Petition | None:
    """The petition ``code`` when ``user`` may see it: its petitioner, or an officer of the agency
    it is routed to; None otherwise (the caller answers 404 either way)."""
    if not getattr(user, "is_authenticated", False) or not code or len(code) > 32:
        return None
    petition = Petition.objects.select_related("agency", "procedure", "dossier", "petitioner").filter(code=code).first()
    if petition is None:
        return None
    if petition.petitioner_id == user.pk or petition.agency_id in officer_agency_ids(user=user):
        return petition
    return None


def petition_viewer_is_officer(*, user, petition: Petition) -> bool:
    return petition.agency_id in officer_agency_ids(user=user)


def petitions_of_user(*, user) -> QuerySet[Petition]:
    return Petition.objects.filter(petitioner=user).select_related("agency", "procedure", "dossier")


_MARKS = {"due_soon": _("Cảnh báo sắp đến hạn trả lời"), "overdue": _("Quá hạn trả lời")}


def petition_events(*, petition: Petition) -> list[dict]:
    """The petition's timeline: each event with its label in the active language."""
    rows: list[PetitionEvent] = list(petition.events.all())
    return [
        {
            "label": TRANSITIONS[e.action].label if e.action in TRANSITIONS else _MARKS.get(e.action, e.action),
            "event": e,
        }
        for e in rows
    ]


def petition_worklist(*, user, name: str = "open", now: dt.datetime | None = None) -> QuerySet[Petition]:
    """The petitions routed to the officer's agencies: ``open`` (waiting for the agency or the
    petitioner), ``due_soon`` (open, warned by the sweep, not yet due), ``overdue`` (open and
    past the answer deadline), ``closed`` or ``all``; the most urgent first."""
    now = now or timezone.now()
    rows = Petition.objects.filter(agency_id__in=officer_agency_ids(user=user)).select_related(
        "agency", "procedure", "dossier"
    )
    if name == "open":
        rows = rows.filter(state__in=OPEN_STATES)
    elif name == "due_soon":
        rows = rows.filter(state__in=OPEN_STATES, warned_at__isnull=False, answer_due_at__gte=now)
    elif name == "overdue":
        rows = rows.filter(state__in=OPEN_STATES, answer_due_at__lt=now)
    elif name == "closed":
        rows = rows.exclude(state__in=OPEN_STATES)
    return rows.order_by("answer_due_at", "pk")


def petitions_published() -> QuerySet[Petition]:
    """Answered petitions whose petitioner agreed to their publication, newest answer first."""
    return (
        Petition.objects.filter(state=PetitionState.ANSWERED, consent_publish=True)
        .select_related("agency", "procedure")
        .order_by("-closed_at", "-pk")
    )


def petition_published_get(*, code: str) -> Petition | None:
    if not code or len(code) > 32:
        return None
    return petitions_published().filter(code=code).first()


def petition_counts_by_agency(*, agency_ids, first_day: dt.date, last_day: dt.date) -> list[dict]:
    """Per agency, the petitions received in the period (local days, both included): received,
    answered on time and late (against the answer deadline), refused, and still open past it.
    One query."""
    start = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min))
    now = timezone.now()
    answered = Q(state=PetitionState.ANSWERED)
    rows = (
        Petition.objects.filter(agency_id__in=list(agency_ids), received_at__gte=start, received_at__lt=end)
        .values("agency_id", "agency__name", "agency__code")
        .annotate(
            received=Count("pk"),
            answered_on_time=Count("pk", filter=answered & Q(closed_at__lte=F("answer_due_at"))),
            answered_late=Count("pk", filter=answered & Q(closed_at__gt=F("answer_due_at"))),
            refused=Count("pk", filter=Q(state=PetitionState.REFUSED)),
            open_overdue=Count("pk", filter=Q(state__in=OPEN_STATES, answer_due_at__lt=now)),
        )
        .order_by("agency__code")
    )
    return [
        {
            "agency_id": row["agency_id"],
            "agency": row["agency__name"],
            "received": row["received"],
            "answered_on_time": row["answered_on_time"],
            "answered_late": row["answered_late"],
            "refused": row["refused"],
            "open_overdue": row["open_overdue"],
        }
        for row in rows
    ]


def petitions_to_sweep(*, now: dt.datetime) -> QuerySet[Petition]:
    """Open petitions the sweep may have to warn about or mark overdue."""
    return Petition.objects.filter(state__in=OPEN_STATES).filter(
        Q(overdue_at__isnull=True, answer_due_at__lt=now) | Q(warned_at__isnull=True)
    )


def routing_agency_for(*, dossier=None, procedure=None):
    """The agency responsible: the dossier's receiving agency, else the procedure's first agency."""
    if dossier is not None:
        return dossier.receiving_agency
    if procedure is not None:
        return procedure.agencies.order_by("pk").first()
    return None


def deadlines_for(*, agency, received_at: dt.datetime, rules_in_force: rules.PetitionRules) -> dict:
    def due(days: int) -> dt.datetime:
        return procedure_selectors.working_days_after(agency=agency, moment=received_at, days=days)

    return {
        "refuse_due_at": due(rules_in_force.refuse_days),
        "info_due_at": due(rules_in_force.info_days),
        "answer_due_at": due(rules_in_force.answer_days),
    }
