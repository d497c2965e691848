"""Table tests of the working-time calendar against Vietnam's 2025–2027 calendar.

Holidays from the `holidays` package (0.109), as printed by
``holidays.country_holidays("VN", years=2026)``: 01/01 (Thu); Tết Bính Ngọ 16–20/02 (Mon–Fri,
so 14–22/02 off with the weekends); 27/04 (Mon, Hùng Kings observed); 30/04 (Thu); 01/05 (Fri);
31/08 (Mon, swapped for Saturday 22/08); 01–02/09 (Tue–Wed); 24/11 (Tue, Vietnam Cultural Day).
2025: Tết 27/01–01/02. 2027: 01/01 (Fri), Tết 04–10/02.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from procedures.calendar import (
    CalendarError,
    WorkingCalendar,
    format_iso,
    package_holidays,
    package_makeup_days,
    parse_received_at,
)
from procedures.constants import DayExceptionKind
from procedures.models import DayException
from procedures.working_time import (
    add_working_minutes,
    calendar_for_agency,
    due_datetime,
    next_working_moment,
    working_minutes_between,
)
from tests.factories import AgencyFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def test_package_gives_the_expected_2026_days_off():
    days = package_holidays(2026)
    tet = {dt.date(2026, 2, d) for d in range(16, 21)}
    assert tet <= days
    assert dt.date(2026, 2, 13) not in days  # Friday before Tết is worked
    assert dt.date(2026, 2, 23) not in days  # Monday after Tết is worked
    assert {dt.date(2026, 1, 1), dt.date(2026, 4, 27), dt.date(2026, 4, 30), dt.date(2026, 5, 1)} <= days
    assert {dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2026, 9, 2), dt.date(2026, 11, 24)} <= days
    assert {dt.date(2026, 8, 22), dt.date(2025, 4, 26)} <= package_makeup_days()


@pytest.mark.parametrize(
    ("received", "days", "hours", "expected"),
    [
        # Tết Bính Ngọ 2026 (16–20/02).
        ("2026-02-12T09:00", 1, 0, "2026-02-13T17:00"),
        ("2026-02-12T09:00", 2, 0, "2026-02-23T17:00"),
        ("2026-02-13T10:00", 1, 0, "2026-02-23T17:00"),
        ("2026-02-13T10:00", 3, 0, "2026-02-25T17:00"),
        ("2026-02-18T10:00", 1, 0, "2026-02-24T17:00"),  # received during Tết: as if Monday 07:30
        ("2026-02-14T10:00", 1, 0, "2026-02-24T17:00"),  # received on Saturday
        ("2026-02-13T16:00", 0, 2, "2026-02-23T08:30"),  # hours across Tết
        ("2026-02-13T10:00", 0, 8, "2026-02-23T10:00"),
        # Tết Ất Tỵ 2025 (27/01–01/02) and Tết Đinh Mùi 2027 (04–10/02).
        ("2025-01-24T10:00", 1, 0, "2025-02-03T17:00"),
        ("2027-02-03T10:00", 1, 0, "2027-02-11T17:00"),
        # Substituted and observed days off.
        ("2026-04-24T10:00", 1, 0, "2026-04-28T17:00"),  # Mon 27/04 observed Hùng Kings day
        ("2026-04-29T10:00", 1, 0, "2026-05-04T17:00"),  # 30/04, 01/05, weekend
        ("2026-08-28T10:00", 1, 0, "2026-09-03T17:00"),  # Mon 31/08 swapped off, 01–02/09
        ("2026-08-21T10:00", 1, 0, "2026-08-22T17:00"),  # Saturday 22/08 worked instead
        ("2026-11-23T10:00", 1, 0, "2026-11-25T17:00"),  # 24/11 Vietnam Cultural Day
        # Year end.
        ("2026-12-31T10:00", 1, 0, "2027-01-04T17:00"),
        ("2026-12-31T16:30", 0, 1, "2027-01-04T08:00"),
        ("2026-12-31T20:00", 1, 0, "2027-01-05T17:00"),
        ("2025-12-31T10:00", 1, 0, "2026-01-02T17:00"),
        # Hours across lunch and night; exact period ends.
        ("2026-03-02T10:00", 0, 2, "2026-03-02T13:30"),
        ("2026-03-02T16:00", 0, 4, "2026-03-03T10:30"),
        ("2026-03-02T07:30", 0, 4, "2026-03-02T11:30"),
        ("2026-03-02T07:30", 0, 8, "2026-03-02T17:00"),
        ("2026-03-02T07:30", 0, 16, "2026-03-03T17:00"),
        ("2026-03-06T15:00", 0, 40, "2026-03-13T15:00"),
        # Receipt outside working periods and on weekends.
        ("2026-03-02T12:00", 0, 1, "2026-03-02T14:00"),
        ("2026-03-02T06:00", 0, 1, "2026-03-02T08:30"),
        ("2026-03-01T10:00", 0, 1, "2026-03-02T08:30"),
        ("2026-03-01T10:00", 1, 0, "2026-03-03T17:00"),
        ("2026-03-02T17:00", 1, 0, "2026-03-04T17:00"),  # 17:00 sharp is after hours
        ("2026-03-02T16:59", 1, 0, "2026-03-03T17:00"),
        # Days then hours.
        ("2026-03-02T09:00", 1, 4, "2026-03-04T11:30"),
        ("2026-03-02T09:00", 5, 0, "2026-03-09T17:00"),
        # Same-day procedures (0 days): the 15:00 cut-off.
        ("2026-03-02T14:59", 0, 0, "2026-03-02T17:00"),
        ("2026-03-02T15:00", 0, 0, "2026-03-02T17:00"),
        ("2026-03-02T15:01", 0, 0, "2026-03-03T17:00"),
        ("2026-03-06T15:01", 0, 0, "2026-03-09T17:00"),
        ("2026-02-13T15:01", 0, 0, "2026-02-23T17:00"),
        ("2026-03-02T18:00", 0, 0, "2026-03-03T17:00"),
        ("2026-03-07T10:00", 0, 0, "2026-03-09T17:00"),  # received on Saturday
        ("2026-03-02T12:00", 0, 0, "2026-03-02T17:00"),  # lunch break, before 15:00
    ],
)
def test_due_datetime_table(cal, received, days, hours, expected):
    due = cal.due_datetime(local(received), days=days, hours=hours)
    assert due == local(expected)
    assert format_iso(due) == f"{expected}:00+07:00"


def test_naive_and_foreign_offsets_are_read_in_vietnam_time(cal):
    naive = cal.due_datetime(dt.datetime(2026, 3, 2, 10, 0), days=1)
    utc = cal.due_datetime(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), days=1)
    assert naive == utc == local("2026-03-03T17:00")
    assert naive.utcoffset() == dt.timedelta(hours=7)
    # 09:00 UTC is 16:00 in Hà Nội: after the same-day cut-off.
    assert cal.due_datetime(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)) == local("2026-03-03T17:00")


def test_pause_moves_the_due_datetime_by_the_working_time_paused(cal):
    due = cal.due_datetime(local("2026-02-12T09:00"), days=1)
    assert due == local("2026-02-13T17:00")
    paused = cal.due_datetime(local("2026-02-12T09:00"), days=1, paused_minutes=30)
    assert paused == local("2026-02-23T08:00")  # the pause runs over Tết
    assert cal.working_minutes_between(due, paused) == 30
    assert cal.working_minutes_between(paused, due) == -30
    assert cal.add_working_minutes(due, 0) == due


def test_working_minutes_between_days_and_periods(cal):
    assert cal.working_minutes_between(local("2026-03-02T07:30"), local("2026-03-02T17:00")) == 480
    assert cal.working_minutes_between(local("2026-03-02T11:00"), local("2026-03-02T13:30")) == 60
    assert cal.working_minutes_between(local("2026-03-06T16:00"), local("2026-03-09T08:30")) == 120
    # Thursday 12/02 to Tuesday 24/02 across Tết: Thu, Fri, Mon full days.
    assert cal.working_minutes_between(local("2026-02-12T00:00"), local("2026-02-24T00:00")) == 3 * 480


def test_long_periods_stay_fast(cal):
    received = local("2026-01-02T09:00")
    due = cal.due_datetime(received, days=365)
    # Independently counted: 365 working days after 02/01/2026 (Saturday 22/08 included).
    assert due == local("2027-06-25T17:00")
    assert cal.working_minutes_between(
        cal.next_working_moment(received), cal.due_datetime(received, hours=365 * 8)
    ) == (365 * 480)


def test_agency_specific_working_periods_and_weekdays():
    cal = WorkingCalendar(periods=[["13:30", "17:30"], ["08:00", "12:00"]], weekdays=[0, 1, 2, 3, 4, 5])
    assert cal.periods == ((480, 720), (810, 1050))
    assert cal.due_datetime(local("2026-03-06T17:15"), days=1) == local("2026-03-07T17:30")  # Saturday works
    assert cal.due_datetime(local("2026-03-06T17:15"), hours=1) == local("2026-03-07T08:45")
    assert cal.due_datetime(local("2026-03-02T07:45"), hours=1) == local("2026-03-02T09:00")
    assert cal.due_datetime(local("2026-03-02T12:30"), hours=1) == local("2026-03-02T14:30")
    assert cal.due_datetime(local("2026-03-02T17:31"), days=0) == local("2026-03-03T17:30")


@pytest.mark.parametrize(
    ("periods", "weekdays"),
    [
        ([], [0]),
        ([["11:30", "07:30"]], [0]),
        ([["07:30", "12:00"], ["11:00", "17:00"]], [0]),
        ([["7h30", "11:30"]], [0]),
        ([["07:30", "25:00"]], [0]),
        ([["07:30", "11:30"]], []),
        ([["07:30", "11:30"]], [7]),
        ([["07:30", "11:30"]], ["x"]),
    ],
)
def test_invalid_agency_configuration_is_rejected(periods, weekdays):
    with pytest.raises(CalendarError) as error:
        WorkingCalendar(periods=periods, weekdays=weekdays)
    assert "không hợp lệ" in str(error.value.message)


def test_a_calendar_without_working_days_raises_instead_of_looping():
    cal = WorkingCalendar(weekdays=[6], exceptions={}, use_package_holidays=False)
    # Sundays only: received Monday counts from Sunday 08/03 07:30, so day 1 is Sunday 15/03.
    assert cal.due_datetime(local("2026-03-02T10:00"), days=1) == local("2026-03-15T17:00")
    everything_off = {dt.date(2026, 1, 1) + dt.timedelta(days=i): False for i in range(800)}
    cal = WorkingCalendar(exceptions=everything_off)
    with pytest.raises(CalendarError):
        cal.due_datetime(local("2026-03-02T10:00"), days=1)


def test_negative_input_is_rejected(cal):
    for kwargs in ({"days": -1}, {"hours": -1}, {"paused_minutes": -5}):
        with pytest.raises(CalendarError):
            cal.due_datetime(local("2026-03-02T10:00"), **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-13T10:00:00+07:00", "2026-02-13T10:00"),
        ("2026-02-13T10:00:00 07:00", "2026-02-13T10:00"),  # '+' decoded as a space in a query string
        ("2026-02-13T03:00:00Z", "2026-02-13T10:00"),
        ("2026-02-13T10:00", "2026-02-13T10:00"),
        ("2026-02-13", "2026-02-13T00:00"),
    ],
)
def test_parse_received_at(text, expected):
    assert parse_received_at(text) == local(expected)


@pytest.mark.parametrize("text", ["", "abc", "2026-13-01", "13/02/2026", "9999-01-01T00:00", "2026-02-13T10:00" * 10])
def test_parse_received_at_rejects_bad_input(text):
    with pytest.raises(CalendarError) as error:
        parse_received_at(text)
    assert "ISO 8601" in str(error.value.message)
    assert error.value.field == "from"


# --- exceptions entered by admins (database) --------------------------------------------


@pytest.mark.django_db
def test_make_up_saturday_counts_as_a_working_day():
    received = local("2026-03-06T10:00")  # Friday
    assert due_datetime(received, days=1) == local("2026-03-09T17:00")
    DayException.objects.create(date=dt.date(2026, 3, 7), kind=DayExceptionKind.WORKING_DAY)
    assert due_datetime(received, days=1) == local("2026-03-07T17:00")
    # Received on the make-up Saturday itself: a working day, counting starts Monday.
    assert due_datetime(local("2026-03-07T09:00"), days=1) == local("2026-03-09T17:00")
    assert due_datetime(local("2026-03-07T09:00"), hours=1) == local("2026-03-07T10:00")


@pytest.mark.django_db
def test_extra_day_off_and_make_up_day_override_the_package():
    DayException.objects.create(date=dt.date(2026, 3, 9), kind=DayExceptionKind.DAY_OFF, description="Nghỉ bổ sung")
    DayException.objects.create(date=dt.date(2026, 8, 22), kind=DayExceptionKind.DAY_OFF)  # package make-up day
    DayException.objects.create(date=dt.date(2026, 11, 24), kind=DayExceptionKind.WORKING_DAY)  # package holiday
    assert due_datetime(local("2026-03-06T10:00"), days=1) == local("2026-03-10T17:00")
    assert due_datetime(local("2026-08-21T10:00"), days=1) == local("2026-08-24T17:00")
    assert due_datetime(local("2026-11-23T10:00"), days=1) == local("2026-11-24T17:00")


@pytest.mark.django_db
def test_agency_exceptions_override_global_ones_for_that_agency_only():
    own, other = AgencyFactory(), AgencyFactory()
    DayException.objects.create(date=dt.date(2026, 3, 9), kind=DayExceptionKind.DAY_OFF)
    DayException.objects.create(date=dt.date(2026, 3, 9), kind=DayExceptionKind.WORKING_DAY, agency=own)
    DayException.objects.create(date=dt.date(2026, 9, 1), kind=DayExceptionKind.WORKING_DAY, agency=own)
    received = local("2026-03-06T10:00")
    assert due_datetime(received, days=1, agency=own) == local("2026-03-09T17:00")
    assert due_datetime(received, days=1, agency=other) == local("2026-03-10T17:00")
    assert due_datetime(received, days=1) == local("2026-03-10T17:00")
    assert due_datetime(local("2026-08-28T10:00"), days=1, agency=own) == local("2026-09-01T17:00")
    assert due_datetime(local("2026-08-28T10:00"), days=1, agency=other) == local("2026-09-03T17:00")


@pytest.mark.django_db
def test_agency_working_periods_are_used():
    agency = AgencyFactory(
        working_periods=[["08:00", "12:00"], ["13:30", "17:30"]], working_weekdays=[0, 1, 2, 3, 4, 5]
    )
    assert due_datetime(local("2026-03-06T10:00"), days=1, agency=agency) == local("2026-03-07T17:30")
    assert due_datetime(local("2026-03-02T11:00"), hours=2, agency=agency) == local("2026-03-02T14:30")


@pytest.mark.django_db
def test_exceptions_are_read_once_per_computation(django_assert_num_queries):
    agency = AgencyFactory()
    DayException.objects.create(date=dt.date(2027, 3, 6), kind=DayExceptionKind.WORKING_DAY, agency=agency)
    with django_assert_num_queries(1):
        due = due_datetime(local("2026-01-02T09:00"), days=365, agency=agency)
    assert due.year == 2027
    # A calendar object reused for many computations reads each year once, then never again.
    cal = calendar_for_agency(agency)
    with django_assert_num_queries(1):
        cal.due_datetime(local("2026-06-01T09:00"), days=200)
    with django_assert_num_queries(0):
        for days in range(0, 200, 7):
            cal.due_datetime(local("2026-06-01T09:00"), days=days)
        cal.due_datetime(local("2026-12-30T09:00"), hours=100)


@pytest.mark.django_db
def test_module_level_helpers_pause_round_trip():
    due = due_datetime(local("2026-03-02T09:00"), days=2)
    later = add_working_minutes(due, 600)
    assert due == local("2026-03-04T17:00")
    assert later == local("2026-03-06T09:30")  # Thursday's 480 minutes, then 120 on Friday
    assert working_minutes_between(due, later) == 600


@pytest.mark.django_db
def test_received_outside_hours_counts_from_the_next_working_period():
    assert next_working_moment(local("2026-02-13T17:30")) == local("2026-02-23T07:30")
    assert next_working_moment(local("2026-03-02T12:10")) == local("2026-03-02T13:00")
    assert next_working_moment(local("2026-03-02T09:10")) == local("2026-03-02T09:10")
