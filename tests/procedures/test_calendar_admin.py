"""The admin list of a year's days off and make-up days (ngày nghỉ, ngày làm bù) is editable in place."""

import datetime as dt

import pytest

from procedures.constants import DayExceptionKind
from procedures.models import DayException

pytestmark = pytest.mark.django_db

URL = "/admin/procedures/dayexception/"


def test_changelist_edits_kinds_in_place(admin_client):
    row = DayException.objects.create(date=dt.date(2026, 3, 7), kind=DayExceptionKind.WORKING_DAY)
    response = admin_client.get(URL, {"date__year": 2026})
    assert response.status_code == 200
    assert b'name="form-0-kind"' in response.content
    response = admin_client.post(
        URL,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(row.pk),
            "form-0-kind": DayExceptionKind.DAY_OFF,
            "form-0-description": "Nghỉ bổ sung theo thông báo",
            "_save": "Lưu",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.kind == DayExceptionKind.DAY_OFF
    assert row.description == "Nghỉ bổ sung theo thông báo"


def test_search_by_agency_code(admin_client):
    response = admin_client.get(URL, {"q": "000.00.12"})
    assert response.status_code == 200
