"""Working-time calendar (lịch làm việc): due datetimes (hạn giải quyết) for an agency.

A day is a working day when, in this order of precedence:

1. an admin-entered exception (``DayException``) for the agency says so, else a global one
   (agency-specific exceptions override global ones for that agency): extra day off
   (ngày nghỉ bổ sung) or make-up working day (ngày làm bù);
2. it is a make-up working day announced with a substituted day off and recorded by the
   ``holidays`` package (e.g. Saturday 22/08/2026 worked in exchange for Monday 31/08/2026);
3. it is not a Vietnamese public holiday in the ``holidays`` package (lunar Tết included);
4. its weekday is one of the agency's working weekdays (default Monday to Friday).

Working periods come from the agency (default 07:30–11:30 and 13:00–17:00, 8 hours). All
datetimes are timezone-aware in Asia/Ho_Chi_Minh; naive input is read in that zone.

Rules (DESIGN.md section 2 "Time"):

- A receipt outside working periods counts as received at the start of the next working period
  (periods are half-open: received at 17:00 sharp is received outside hours).
- A period in days starts counting the day after receipt and ends at the close of the last
  working period of the Nth working day.
- Same-day procedures (0 days, 0 hours) received after 15:00 are due at the close of the next
  working day; otherwise at the close of the day of receipt.
- A period in hours counts working hours from the (normalised) moment of receipt.
- Days and hours together: first the days, then the hours counted from the close of the
  Nth working day (so 1 day 4 hours from Monday morning is Wednesday 11:30).
- A pause (waiting for the applicant) of P working minutes pushes the due datetime by exactly
  P working minutes: ``working_minutes_between(due, due_paused) == P``.

Computations walk days and periods, never minutes. The calendar object caches the package's
holidays per year and asks its ``exception_loader`` once per range of years it needs. This
module never touches the database: `procedures.working_time` loads an agency's calendar.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import gettext_lazy as _

try:
    from holidays.countries.vietnam import VietnamStaticHolidays
except ImportError:  # pragma: no cover - depends on the package version
    VietnamStaticHolidays = None

from procedures.constants import DEFAULT_WORKING_PERIODS, DEFAULT_WORKING_WEEKDAYS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Same-day procedures received after this local time are due at the close of the next working day.
SAME_DAY_CUTOFF = dt.time(15, 0)
# Bounds on user input (CLI and API): ten years of working days, and the equivalent in hours.
MAX_DAYS = 3650
MAX_HOURS = MAX_DAYS * 8
MIN_YEAR, MAX_YEAR = 1990, 2100
# A longer run of consecutive days off means the agency's calendar is misconfigured.
_MAX_DAYS_OFF_IN_A_ROW = 400

ExceptionLoader = Callable[[int, int], Mapping[dt.date, bool]]


class CalendarError(ValueError):
    """Bad input or configuration; ``message`` is Vietnamese (gettext), ``english`` for the CLI."""

    def __init__(self, message, english: str, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.english = english
        self.field = field


class UnknownAgencyError(CalendarError):
    pass


# --- the holidays package ---------------------------------------------------------------


@lru_cache(maxsize=128)
def package_holidays(year: int) -> frozenset[dt.date]:
    """Vietnam's public holidays for one year, lunar Tết and substituted days off included."""
    return frozenset(day for day in holidays.country_holidays("VN", years=year) if day.year == year)


@lru_cache(maxsize=1)
def package_makeup_days() -> frozenset[dt.date]:
    """Make-up working days (ngày làm bù) behind the package's substituted days off.

    The package records each swap as (month, day, from_month, from_day[, from_year]): the day
    off and the day worked instead. It exposes no public accessor for the worked day, so this
    reads the table defensively and falls back to nothing (admins enter them as exceptions).
    """
    table = getattr(VietnamStaticHolidays, "special_public_holidays", None)
    if table is None:  # pragma: no cover - depends on the package version
        return frozenset()
    days: set[dt.date] = set()
    for year, value in table.items():
        entries = value if value and isinstance(value[0], tuple) else (value,)
        for entry in entries:
            if len(entry) in (4, 5) and all(isinstance(part, int) for part in entry):
                from_year = entry[4] if len(entry) == 5 else year
                try:
                    days.add(dt.date(from_year, entry[2], entry[3]))
                except ValueError:  # pragma: no cover - malformed entry upstream
                    continue
    return frozenset(days)


# --- parsing ----------------------------------------------------------------------------


def _parse_hhmm(value) -> int:
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
    if not match:
        raise ValueError(value)
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours * 60 + minutes > 24 * 60:
        raise ValueError(value)
    return hours * 60 + minutes


def parse_periods(periods: Iterable[Sequence]) -> tuple[tuple[int, int], ...]:
    """Working periods as sorted (start, end) minutes of the day; rejects overlaps and empties."""
    try:
        parsed = sorted((_parse_hhmm(start), _parse_hhmm(end)) for start, end in periods)
    except (TypeError, ValueError):
        parsed = []
    valid = bool(parsed) and all(start < end for start, end in parsed)
    valid = valid and all(parsed[i][1] <= parsed[i + 1][0] for i in range(len(parsed) - 1))
    if not valid:
        raise CalendarError(
            _('Giờ làm việc của cơ quan không hợp lệ: cần các buổi dạng ["07:30", "11:30"], không chồng nhau.'),
            "invalid working periods for the agency",
            field="agency",
        )
    return tuple(parsed)


def parse_weekdays(weekdays: Iterable) -> frozenset[int]:
    try:
        parsed = frozenset(int(day) for day in weekdays)
    except (TypeError, ValueError):
        parsed = frozenset()
    if not parsed or not parsed <= set(range(7)):
        raise CalendarError(
            _("Ngày làm việc trong tuần của cơ quan không hợp lệ (0 = thứ Hai … 6 = Chủ nhật)."),
            "invalid working weekdays for the agency",
            field="agency",
        )
    return parsed


def to_local(value: dt.datetime) -> dt.datetime:
    """Aware datetime in Asia/Ho_Chi_Minh; a naive one is read as local time."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def parse_received_at(value: str) -> dt.datetime:
    """ISO 8601 date or datetime from user input (CLI, query string) as a local aware datetime.

    A query string decodes ``+07:00`` to `` 07:00``; that space is read back as ``+``.
    """
    text = (value or "").strip()
    text = re.sub(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$", r"\1+\2", text)
    try:
        parsed = dt.datetime.fromisoformat(text) if len(text) <= 64 else None
    except ValueError:
        parsed = None
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise CalendarError(
            _(
                "Ngày giờ tiếp nhận không hợp lệ; dùng định dạng ISO 8601, ví dụ 2026-02-13T10:00:00+07:00 (năm từ 1990 đến 2100)."
            ),
            "invalid receipt datetime; use ISO 8601, e.g. 2026-02-13T10:00:00+07:00 (years 1990 to 2100)",
            field="from",
        )
    return to_local(parsed)


def parse_count(value, *, field: str, maximum: int) -> int:
    """A non-negative whole number of days or hours from user input."""
    if value is None or value == "":
        return 0
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        number = None
    if number is None or isinstance(number, bool) or number < 0 or number > maximum:
        label = {"days": _("Số ngày làm việc"), "hours": _("Số giờ làm việc")}.get(field, field)
        raise CalendarError(
            _("%(label)s phải là số nguyên từ 0 đến %(maximum)s.") % {"label": label, "maximum": maximum},
            f"--{field} must be a whole number between 0 and {maximum}",
            field=field,
        )
    return number


def format_iso(value: dt.datetime) -> str:
    """ISO 8601 with the +07:00 offset, to the second (or finer when present)."""
    return to_local(value).isoformat()


# --- the calendar -----------------------------------------------------------------------


class WorkingCalendar:
    """The working time of one agency. Pure: database access only through ``exception_loader``.

    ``exceptions`` maps a date to True (working) or False (day off), already resolved between
    global and agency-specific rows. ``exception_loader(first_year, last_year)`` is called for
    years not yet loaded, once per contiguous range; without a loader ``exceptions`` is complete.
    """

    def __init__(
        self,
        *,
        periods: Iterable[Sequence] = DEFAULT_WORKING_PERIODS,
        weekdays: Iterable[int] = DEFAULT_WORKING_WEEKDAYS,
        exceptions: Mapping[dt.date, bool] | None = None,
        exception_loader: ExceptionLoader | None = None,
        use_package_holidays: bool = True,
    ):
        self.periods = parse_periods(periods)
        self.weekdays = parse_weekdays(weekdays)
        self.day_minutes = sum(end - start for start, end in self.periods)
        self._exceptions: dict[dt.date, bool] = dict(exceptions or {})
        self._loader = exception_loader
        self._loaded_years: set[int] = set()
        self._use_package = use_package_holidays
        self._holidays: dict[int, frozenset[dt.date]] = {}
        self._makeup = package_makeup_days() if use_package_holidays else frozenset()

    # -- days --

    def prefetch(self, first_year: int, last_year: int) -> None:
        """Load the exceptions of the years in range that are not loaded yet, in one call."""
        if self._loader is None:
            return
        missing = [year for year in range(first_year, last_year + 1) if year not in self._loaded_years]
        if not missing:
            return
        loaded = self._loader(missing[0], missing[-1])
        for day, working in loaded.items():
            if day.year not in self._loaded_years:
                self._exceptions[day] = working
        self._loaded_years.update(range(missing[0], missing[-1] + 1))

    def holidays_of(self, year: int) -> frozenset[dt.date]:
        cached = self._holidays.get(year)
        if cached is None:
            cached = package_holidays(year) if self._use_package else frozenset()
            self._holidays[year] = cached
        return cached

    def is_working_day(self, day: dt.date) -> bool:
        if self._loader is not None and day.year not in self._loaded_years:
            self.prefetch(day.year, day.year)
        exception = self._exceptions.get(day)
        if exception is not None:
            return exception
        if day in self._makeup:
            return True
        if day in self.holidays_of(day.year):
            return False
        return day.weekday() in self.weekdays

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        for _offset in range(_MAX_DAYS_OFF_IN_A_ROW):
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        raise CalendarError(
            _("Lịch làm việc của cơ quan không có ngày làm việc nào trong hơn một năm."),
            "the agency calendar has no working day for over a year",
            field="agency",
        )

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self.working_day_on_or_after(day + dt.timedelta(days=1))

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        for _step in range(count):
            day = self.next_working_day(day)
        return day

    # -- periods --

    def _at(self, day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=TZ) + dt.timedelta(minutes=minute)

    def periods_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of a day as aware datetimes; empty on a day off."""
        if not self.is_working_day(day):
            return []
        return [(self._at(day, start), self._at(day, end)) for start, end in self.periods]

    def close_of_day(self, day: dt.date) -> dt.datetime:
        """The end of the last working period of ``day`` (which should be a working day)."""
        return self._at(day, self.periods[-1][1])

    def is_working_time(self, moment: dt.datetime) -> bool:
        """Within a working period, its end included (a due datetime may be a period's close)."""
        moment = to_local(moment)
        return any(start <= moment <= end for start, end in self.periods_on(moment.date()))

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself if within a working period [start, end), else the next period start."""
        moment = to_local(moment)
        for start, end in self.periods_on(moment.date()):
            if moment < start:
                return start
            if moment < end:
                return moment
        day = self.next_working_day(moment.date())
        return self._at(day, self.periods[0][0])

    # -- arithmetic --

    def add_working_time(self, moment: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment ``amount`` of working time after ``moment`` (lands in (start, end] of a period)."""
        if amount < dt.timedelta(0):
            raise CalendarError(
                _("Thời gian cộng thêm không được âm."), "working time to add must not be negative", field="paused"
            )
        moment = to_local(moment)
        if amount == dt.timedelta(0):
            return moment
        cursor = self.next_working_moment(moment)
        day = cursor.date()
        remaining = amount
        while True:
            for start, end in self.periods_on(day):
                if end <= cursor:
                    continue
                begin = max(start, cursor)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            # Skip whole working days without walking their periods.
            day = self.next_working_day(day)
            full_day = dt.timedelta(minutes=self.day_minutes)
            while remaining > full_day:
                remaining -= full_day
                day = self.next_working_day(day)
            cursor = self._at(day, 0)

    def add_working_minutes(self, moment: dt.datetime, minutes: float) -> dt.datetime:
        return self.add_working_time(moment, dt.timedelta(minutes=minutes))

    def _worked_on(self, day: dt.date, lower: dt.datetime | None, upper: dt.datetime | None) -> dt.timedelta:
        total = dt.timedelta(0)
        for start, end in self.periods_on(day):
            begin = max(start, lower) if lower else start
            finish = min(end, upper) if upper else end
            if finish > begin:
                total += finish - begin
        return total

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        start, end = to_local(start), to_local(end)
        if end < start:
            return -self.working_time_between(end, start)
        if start.date() == end.date():
            return self._worked_on(start.date(), start, end)
        total = self._worked_on(start.date(), start, None)
        day = start.date() + dt.timedelta(days=1)
        full_day = dt.timedelta(minutes=self.day_minutes)
        while day < end.date():
            if self.is_working_day(day):
                total += full_day
            day += dt.timedelta(days=1)
        return total + self._worked_on(end.date(), None, end)

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working minutes from ``start`` to ``end`` (seconds are dropped)."""
        return math.floor(self.working_time_between(start, end) / dt.timedelta(minutes=1))

    # -- due datetimes --

    def estimate_last_year(self, received: dt.datetime, days: int, hours: int, paused_minutes: float) -> int:
        """A generous guess of the year the due datetime falls in, to prefetch exceptions once."""
        working_days = days + math.ceil((hours * 60 + paused_minutes) / self.day_minutes) + 1
        calendar_days = working_days * 7 / len(self.weekdays) * 1.1 + 30
        return (received + dt.timedelta(days=calendar_days)).year

    def due_datetime(
        self, received_at: dt.datetime, *, days: int = 0, hours: int = 0, paused_minutes: float = 0
    ) -> dt.datetime:
        """The due datetime of a dossier received at ``received_at``; see the module docstring."""
        if days < 0 or hours < 0 or paused_minutes < 0:
            raise CalendarError(
                _("Số ngày, số giờ và thời gian tạm dừng không được âm."),
                "days, hours and paused minutes must not be negative",
            )
        received = to_local(received_at)
        self.prefetch(received.year, self.estimate_last_year(received, days, hours, paused_minutes))
        start = self.next_working_moment(received)
        if days == 0 and hours == 0:
            day = start.date()
            if start.time() > SAME_DAY_CUTOFF:
                day = self.next_working_day(day)
            due = self.close_of_day(day)
        elif days > 0:
            due = self.close_of_day(self.add_working_days(start.date(), days))
            due = self.add_working_minutes(due, hours * 60)
        else:
            due = self.add_working_minutes(start, hours * 60)
        return self.add_working_minutes(due, paused_minutes)
