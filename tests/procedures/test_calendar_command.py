"""``manage.py calendar_due``: prints only the due datetime; bad input is a bilingual CommandError."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from procedures.constants import DayExceptionKind
from procedures.models import DayException
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar_due", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2026-02-13T10:00:00+07:00", "--days", "1"], "2026-02-23T17:00:00+07:00"),
        (["--from", "2026-02-13T10:00", "--days", "3"], "2026-02-25T17:00:00+07:00"),
        (["--from", "2026-02-13T03:00:00Z", "--days", "0", "--hours", "8"], "2026-02-23T10:00:00+07:00"),
        (["--from", "2026-03-02T09:00", "--days", "1", "--hours", "4"], "2026-03-04T11:30:00+07:00"),
        (["--from", "2026-03-02T15:01", "--days", "0"], "2026-03-03T17:00:00+07:00"),
        (["--from", "2026-03-02T14:59"], "2026-03-02T17:00:00+07:00"),
        (["--from", "2026-12-31T10:00", "--days", "1"], "2027-01-04T17:00:00+07:00"),
    ],
)
def test_prints_only_the_due_datetime(args, expected):
    assert run(*args) == expected + "\n"


def test_agency_code_selects_its_calendar():
    agency = AgencyFactory(code="000.00.12.H48", working_periods=[["08:00", "12:00"], ["13:30", "17:30"]])
    DayException.objects.create(date=dt.date(2026, 3, 7), kind=DayExceptionKind.WORKING_DAY, agency=agency)
    args = ["--from", "2026-03-06T10:00", "--days", "1"]
    assert run(*args, "--agency", "000.00.12.H48").strip() == "2026-03-07T17:30:00+07:00"
    assert run(*args).strip() == "2026-03-09T17:00:00+07:00"


@pytest.mark.parametrize(
    ("args", "vietnamese", "english"),
    [
        (["--from", "hôm qua", "--days", "1"], "Ngày giờ tiếp nhận không hợp lệ", "invalid receipt datetime"),
        (["--from", "2026-02-30T10:00", "--days", "1"], "Ngày giờ tiếp nhận không hợp lệ", "ISO 8601"),
        (["--from", "2026-02-13T10:00", "--days", "-1"], "Số ngày làm việc phải là số nguyên", "--days must be"),
        (["--from", "2026-02-13T10:00", "--days", "1.5"], "Số ngày làm việc phải là số nguyên", "--days must be"),
        (["--from", "2026-02-13T10:00", "--days", "99999"], "từ 0 đến 3650", "between 0 and 3650"),
        (["--from", "2026-02-13T10:00", "--hours", "-2"], "Số giờ làm việc phải là số nguyên", "--hours must be"),
        (["--from", "2026-02-13T10:00", "--hours", "x"], "Số giờ làm việc", "--hours must be"),
        (["--from", "2026-02-13T10:00", "--agency", "KHONG-CO"], "Không tìm thấy cơ quan", "unknown agency code"),
    ],
)
def test_bad_input_is_a_bilingual_command_error(args, vietnamese, english):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert vietnamese in str(error.value)
    assert english in str(error.value)


def test_missing_from_is_an_error():
    with pytest.raises(CommandError):
        run("--days", "1")


def test_bad_input_exits_non_zero(capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "calendar_due", "--from", "bad", "--days", "1"])
    assert exit_info.value.code != 0
    assert "Ngày giờ tiếp nhận không hợp lệ" in capsys.readouterr().err
