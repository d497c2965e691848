"""The working-time calendar of an agency, loaded from the database: its working periods and
weekdays, and the day exceptions (``DayException``) an admin entered for it or for everyone.

`procedures.calendar` holds the rules, pure of the database; this module feeds them. The
functions taking ``agency=`` build that agency's calendar (or the default one for None);
given ``calendar=``, they reuse one already loaded. Other apps go through
`procedures.selectors` (``version_due_datetime``, ``working_minutes_between``, ...).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.run_cache import run_cached
from procedures.calendar import ExceptionLoader, UnknownAgencyError, WorkingCalendar, to_local
from procedures.constants import DEFAULT_WORKING_PERIODS, DEFAULT_WORKING_WEEKDAYS, DayExceptionKind
from procedures.models import Agency, DayException


def _exception_loader(agency_id: int | None) -> ExceptionLoader:
    def load(first_year: int, last_year: int) -> dict[dt.date, bool]:
        scope = Q(agency__isnull=True) | Q(agency_id=agency_id) if agency_id else Q(agency__isnull=True)
        rows = DayException.objects.filter(
            scope, date__gte=dt.date(first_year, 1, 1), date__lte=dt.date(last_year, 12, 31)
        ).values_list("date", "kind", "agency_id")
        resolved: dict[dt.date, bool] = {}
        own: dict[dt.date, bool] = {}
        for day, kind, row_agency in rows:
            (resolved if row_agency is None else own)[day] = kind == DayExceptionKind.WORKING_DAY
        resolved.update(own)  # the agency's own exceptions override the global ones
        return resolved

    return load


def calendar_for_agency(agency: Agency | None) -> WorkingCalendar:
    """The calendar of ``agency`` (its periods and weekdays), or the default one for None.

    Inside a bulk run (``portal.run_cache``) one calendar per agency serves every dossier, so
    its day exceptions are read once per range of years for the run."""
    if agency is None:
        return run_cached(("calendar", None), lambda: WorkingCalendar(exception_loader=_exception_loader(None)))
    periods = agency.working_periods or DEFAULT_WORKING_PERIODS
    weekdays = agency.working_weekdays or DEFAULT_WORKING_WEEKDAYS
    return run_cached(
        ("calendar", agency.pk, repr(periods), repr(weekdays)),
        lambda: WorkingCalendar(periods=periods, weekdays=weekdays, exception_loader=_exception_loader(agency.pk)),
    )


def agency_by_code(code: str) -> Agency:
    code = (code or "").strip()
    agency = Agency.objects.filter(code=code).first() if 0 < len(code) <= 32 else None
    if agency is None:
        raise UnknownAgencyError(
            _("Không tìm thấy cơ quan có mã “%(code)s”.") % {"code": code[:64]},
            f"unknown agency code {code[:64]!r}",
            field="agency",
        )
    return agency


def _calendar(agency: Agency | None, calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else calendar_for_agency(agency)


def due_datetime(
    received_at: dt.datetime,
    *,
    days: int = 0,
    hours: int = 0,
    agency: Agency | None = None,
    paused_minutes: float = 0,
    calendar: WorkingCalendar | None = None,
) -> dt.datetime:
    """Due datetime for ``agency`` (default calendar when None); days first, then hours."""
    return _calendar(agency, calendar).due_datetime(received_at, days=days, hours=hours, paused_minutes=paused_minutes)


def add_working_minutes(
    moment: dt.datetime, minutes: float, *, agency: Agency | None = None, calendar: WorkingCalendar | None = None
) -> dt.datetime:
    cal = _calendar(agency, calendar)
    moment = to_local(moment)
    cal.prefetch(moment.year, cal.estimate_last_year(moment, 0, 0, minutes))
    return cal.add_working_minutes(moment, minutes)


def working_minutes_between(
    start: dt.datetime, end: dt.datetime, *, agency: Agency | None = None, calendar: WorkingCalendar | None = None
) -> int:
    cal = _calendar(agency, calendar)
    first, last = sorted((to_local(start), to_local(end)))
    cal.prefetch(first.year, last.year)
    return cal.working_minutes_between(start, end)


def next_working_moment(
    moment: dt.datetime, *, agency: Agency | None = None, calendar: WorkingCalendar | None = None
) -> dt.datetime:
    """When a receipt at ``moment`` counts as received: itself, or the start of the next working period."""
    cal = _calendar(agency, calendar)
    moment = to_local(moment)
    cal.prefetch(moment.year, moment.year + 1)
    return cal.next_working_moment(moment)
