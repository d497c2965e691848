"""``GET /api/v1/calendar/due``: public, same answers as the command, 400 with a clear message."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from procedures.constants import DayExceptionKind
from procedures.models import DayException
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/due"


@pytest.fixture
def client():
    return APIClient()


def test_due_for_the_default_calendar(client):
    response = client.get(URL, {"from": "2026-02-13T10:00:00+07:00", "days": "1"})
    assert response.status_code == 200
    assert response.json() == {
        "due": "2026-02-23T17:00:00+07:00",
        "from": "2026-02-13T10:00:00+07:00",
        "days": 1,
        "hours": 0,
        "agency": None,
    }


def test_days_then_hours_and_naive_input(client):
    response = client.get(URL, {"from": "2026-03-02T09:00", "days": 1, "hours": 4})
    assert response.status_code == 200
    assert response.json()["due"] == "2026-03-04T11:30:00+07:00"
    assert response.json()["from"] == "2026-03-02T09:00:00+07:00"


def test_plus_sign_decoded_as_space_in_a_raw_query_string(client):
    response = client.get(f"{URL}?from=2026-03-02T15:01:00+07:00")
    assert response.status_code == 200
    assert response.json()["due"] == "2026-03-03T17:00:00+07:00"


def test_agency_calendar_and_exceptions(client):
    agency = AgencyFactory(code="000.00.12.H48", working_periods=[["08:00", "12:00"], ["13:30", "17:30"]])
    DayException.objects.create(date=dt.date(2026, 3, 7), kind=DayExceptionKind.WORKING_DAY, agency=agency)
    response = client.get(URL, {"from": "2026-03-06T10:00", "days": 1, "agency": "000.00.12.H48"})
    assert response.status_code == 200
    assert response.json()["due"] == "2026-03-07T17:30:00+07:00"
    assert response.json()["agency"] == "000.00.12.H48"


def test_public_even_with_a_bad_token(client):
    client.credentials(HTTP_AUTHORIZATION="Bearer dvc_not-a-token")
    response = client.get(URL, {"from": "2026-03-02T09:00", "days": 1})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "from", "Thiếu tham số “from”"),
        ({"from": "abc"}, "from", "Ngày giờ tiếp nhận không hợp lệ"),
        ({"from": "<script>alert(1)</script>"}, "from", "Ngày giờ tiếp nhận không hợp lệ"),
        ({"from": "2026-02-13T10:00", "days": "-1"}, "days", "Số ngày làm việc phải là số nguyên"),
        ({"from": "2026-02-13T10:00", "days": "1e9"}, "days", "Số ngày làm việc phải là số nguyên"),
        ({"from": "2026-02-13T10:00", "hours": "-3"}, "hours", "Số giờ làm việc phải là số nguyên"),
        ({"from": "2026-02-13T10:00", "hours": "9" * 30}, "hours", "Số giờ làm việc phải là số nguyên"),
        ({"from": "2026-02-13T10:00", "agency": "x" * 10_000}, "agency", "Không tìm thấy cơ quan"),
    ],
)
def test_bad_input_is_400_with_a_vietnamese_message(client, params, field, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"]
    assert message in body["error"]["fields"][field][0]


def test_unknown_agency_is_400_naming_the_code(client):
    response = client.get(URL, {"from": "2026-02-13T10:00", "days": 1, "agency": "000.00.99.X00"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["agency"] == ["Không tìm thấy cơ quan có mã “000.00.99.X00”."]


def test_misconfigured_agency_is_400_not_500(client):
    AgencyFactory(code="BROKEN", working_periods=[["17:00", "07:00"]])
    response = client.get(URL, {"from": "2026-02-13T10:00", "days": 1, "agency": "BROKEN"})
    assert response.status_code == 400
    assert "Giờ làm việc của cơ quan không hợp lệ" in response.json()["error"]["fields"]["agency"][0]


def test_schema_lists_the_endpoint(client, admin_user):
    client.force_authenticate(admin_user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/calendar/due" in response.json()["paths"]
