"""Property-based tests (hypothesis) of the working-time calendar.

The calendar under test holds the package's holidays plus a few admin exceptions (a make-up
Saturday, an extra day off), so the properties are exercised across Tết, substituted days off,
make-up days and year ends.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures.calendar import WorkingCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

CALENDARS = [
    WorkingCalendar(exceptions={dt.date(2026, 3, 7): True, dt.date(2026, 3, 9): False, dt.date(2025, 12, 31): False}),
    WorkingCalendar(periods=[["08:00", "12:00"], ["13:30", "17:30"]], weekdays=[0, 1, 2, 3, 4, 5]),
    WorkingCalendar(periods=[["07:00", "11:00"], ["13:30", "16:30"], ["19:00", "21:00"]], weekdays=[1, 3, 5]),
]

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

calendars = st.sampled_from(CALENDARS)
received_moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31, 23, 59), timezones=st.just(TZ)
)
day_counts = st.integers(min_value=0, max_value=60)
hour_counts = st.integers(min_value=0, max_value=120)
pauses = st.integers(min_value=0, max_value=10_000)


def assert_in_working_time(cal: WorkingCalendar, due: dt.datetime) -> None:
    assert due.utcoffset() == dt.timedelta(hours=7)
    assert cal.is_working_day(due.date()), f"{due} falls on a day off"
    periods = cal.periods_on(due.date())
    assert any(start <= due <= end for start, end in periods), f"{due} is outside the working periods"


@PROFILE
@given(cal=calendars, received=received_moments, days=day_counts, hours=hour_counts, paused=pauses)
def test_due_datetime_is_always_working_time(cal, received, days, hours, paused):
    due = cal.due_datetime(received, days=days, hours=hours, paused_minutes=paused)
    assert_in_working_time(cal, due)
    assert due > received
    if hours == 0 and paused == 0:
        # A period in days (or the same-day rule) ends at the close of a working day.
        assert due == cal.close_of_day(due.date())


@PROFILE
@given(cal=calendars, received=received_moments, days=day_counts, hours=hour_counts)
def test_due_datetime_grows_monotonically(cal, received, days, hours):
    due = cal.due_datetime(received, days=days, hours=hours)
    assert due <= cal.due_datetime(received, days=days + 1, hours=hours)
    if days or hours:
        # (0 days 0 hours is the same-day rule, due at a day's close, not a zero-length period.)
        assert due <= cal.due_datetime(received, days=days, hours=hours + 1)
    if days > 0:
        assert due < cal.due_datetime(received, days=days + 1, hours=hours)


@PROFILE
@given(cal=calendars, received=received_moments, days=day_counts, hours=hour_counts, paused=pauses)
def test_a_pause_moves_the_due_datetime_by_exactly_the_working_time_paused(cal, received, days, hours, paused):
    due = cal.due_datetime(received, days=days, hours=hours)
    due_paused = cal.due_datetime(received, days=days, hours=hours, paused_minutes=paused)
    assert due_paused >= due
    assert cal.working_minutes_between(due, due_paused) == paused
    assert cal.working_minutes_between(due_paused, due) == -paused


@PROFILE
@given(cal=calendars, received=received_moments, hours=hour_counts)
def test_a_period_in_hours_holds_exactly_that_many_working_hours(cal, received, hours):
    due = cal.due_datetime(received, hours=hours)
    if hours:
        start = cal.next_working_moment(received)
        assert cal.working_time_between(start, due) == dt.timedelta(hours=hours)
        assert cal.working_time_between(received, due) == dt.timedelta(hours=hours)


@PROFILE
@given(cal=calendars, received=received_moments, days=st.integers(min_value=1, max_value=60))
def test_a_period_in_days_holds_exactly_that_many_working_days(cal, received, days):
    due = cal.due_datetime(received, days=days)
    day_of_receipt = cal.next_working_moment(received).date()
    counted = [
        day_of_receipt + dt.timedelta(days=offset)
        for offset in range(1, (due.date() - day_of_receipt).days + 1)
        if cal.is_working_day(day_of_receipt + dt.timedelta(days=offset))
    ]
    assert len(counted) == days
    assert counted[-1] == due.date()


def brute_force_add(cal: WorkingCalendar, moment: dt.datetime, minutes: int) -> dt.datetime:
    """A slow reference: walk minute by minute, counting minutes that start inside a period."""
    cursor = moment
    while minutes:
        if any(start <= cursor < end for start, end in cal.periods_on(cursor.date())):
            minutes -= 1
        cursor += dt.timedelta(minutes=1)
    return cursor


@settings(max_examples=60, deadline=None)
@given(
    cal=calendars,
    received=st.datetimes(
        min_value=dt.datetime(2026, 2, 10), max_value=dt.datetime(2026, 2, 25), timezones=st.just(TZ)
    ).map(lambda moment: moment.replace(second=0, microsecond=0)),
    minutes=st.integers(min_value=1, max_value=1500),
)
def test_add_working_minutes_matches_a_minute_by_minute_reference(cal, received, minutes):
    assert cal.add_working_minutes(received, minutes) == brute_force_add(cal, received, minutes)
