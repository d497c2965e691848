"""The apology letter's rules (form 04, issue 18): the new appointment falls in the agency's
working time (working days and hours, holidays) and after the current one, and the letter is
issued before the current appointment has passed. A refusal says why in Vietnamese (English
under Accept-Language: en), next to the field, and changes nothing; through the page and the API."""

import datetime as dt

import pytest
from django.utils import timezone

from dossiers.models import Dossier, DossierEvent, Slip
from tests.dossiers.factories import DossierFactory, Team, refresh, to_processing, working_day_after
from tests.dossiers.helpers import officer_api
from tests.factories import with_totp

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
REASON = "Cần xác minh thêm với cơ quan công an"


@pytest.fixture
def team():
    team = Team(DossierFactory().receiving_agency)
    for user in (team.specialist, team.head):
        with_totp(user)
    return team


@pytest.fixture
def dossier(team):
    dossier = Dossier.objects.filter(receiving_agency=team.agency).get()
    dossier = to_processing(dossier, team)
    # Due within one working day: the moment the letter may (must) be issued.
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    return refresh(dossier)


def snapshot(dossier) -> tuple:
    row = refresh(dossier)
    return (
        row.due_at,
        row.original_due_at,
        row.apology_at,
        DossierEvent.objects.filter(dossier=dossier).count(),
        Slip.objects.filter(dossier=dossier).count(),
    )


def next_weekday(weekday: int, after_days: int = 10) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


def page_post(client, user, dossier, values, **headers):
    client.force_login(user)
    return client.post(f"/officer/dossiers/{dossier.code}/actions/apology/", {"reason": REASON, **values}, **headers)


def api_post(user, dossier, values, **headers):
    return officer_api(user).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "apology", "reason": REASON, **values},
        format="json",
        **headers,
    )


NEW_YEAR = dt.date(timezone.localdate().year + 1, 1, 1)
BAD = {
    "sunday": (lambda d: next_weekday(6).isoformat(), "là ngày nghỉ của cơ quan", "is a day off"),
    "sunday_afternoon": (lambda d: at(next_weekday(6), 15), "là ngày nghỉ của cơ quan", "is a day off"),
    "saturday": (lambda d: next_weekday(5).isoformat(), "là ngày nghỉ của cơ quan", "is a day off"),
    "new_year_holiday": (lambda d: NEW_YEAR.isoformat(), "01/01/", "is a day off"),
    "evening": (lambda d: at(working_day_after(10), 19), "nằm ngoài giờ làm việc", "outside the agency's working"),
    "lunch": (lambda d: at(working_day_after(10), 12, 15), "07:30–11:30, 13:00–17:00", "outside the agency's working"),
    "before_current_due": (
        lambda d: (d.due_at - dt.timedelta(minutes=10)).isoformat(),
        "phải sau ngày hẹn trả hiện tại",
        "must be after the current",
    ),
    "not_a_date": (lambda d: "31/13/2026", "không hợp lệ", "Invalid new appointment date"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_new_appointment_is_refused_on_the_page_next_to_its_field(client, dossier, team, case):
    value, vietnamese, _english = BAD[case]
    before = snapshot(dossier)
    response = page_post(client, team.specialist, dossier, {"new_due_at": value(dossier)})
    assert response.status_code == 400
    body = response.content.decode()
    assert vietnamese in body
    # Next to the field: inside the apology form, under the new_due_at input.
    form = body[body.index('id="action-apology"') :]
    field = form[form.index('name="new_due_at"') :]
    assert vietnamese in field[: field.index("</form>")]
    assert snapshot(dossier) == before


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("case", BAD)
def test_a_bad_new_appointment_is_refused_by_the_api(dossier, team, case, language):
    value, vietnamese, english = BAD[case]
    before = snapshot(dossier)
    response = api_post(team.specialist, dossier, {"new_due_at": value(dossier)}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    messages = " ".join(response.json()["error"]["fields"]["new_due_at"])
    assert (vietnamese if language == "vi" else english) in messages
    assert snapshot(dossier) == before


def test_a_letter_after_the_appointment_has_passed_is_refused_and_not_offered(client, dossier, team):
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    dossier = refresh(dossier)
    before = snapshot(dossier)
    valid = working_day_after(10).isoformat()
    response = page_post(client, team.specialist, dossier, {"new_due_at": valid}, follow=True)
    body = response.content.decode()
    assert "phải được lập trước khi hết hạn trả kết quả" in body and "Nghị định 118/2025/NĐ-CP" in body
    assert 'id="action-apology"' not in body  # no longer offered
    api = api_post(team.specialist, dossier, {"new_due_at": valid}, HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 409
    assert "before the appointment" in api.json()["error"]["message"]
    offered = officer_api(team.specialist).get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert "apology" not in {a["name"] for a in offered["available_actions"]}
    assert snapshot(dossier) == before


def test_the_lead_time_is_configurable(dossier, team, settings):
    settings.APOLOGY_LEAD_WORKING_MINUTES = 8 * 60
    before = snapshot(dossier)
    response = api_post(team.specialist, dossier, {"new_due_at": working_day_after(10).isoformat()})
    assert response.status_code == 409
    assert snapshot(dossier) == before


def test_a_valid_day_means_the_close_of_that_working_day_on_the_page(client, dossier, team):
    day = working_day_after(10)
    original = dossier.due_at
    response = page_post(client, team.specialist, dossier, {"new_due_at": day.isoformat()})
    assert response.status_code == 302
    dossier = refresh(dossier)
    assert timezone.localtime(dossier.due_at) == dt.datetime.combine(day, dt.time(17, 0), tzinfo=TZ)
    assert dossier.original_due_at == original and dossier.apology_at is not None


def test_a_valid_moment_through_the_api(dossier, team):
    moment = at(working_day_after(10), 9, 30)
    response = api_post(team.head, dossier, {"new_due_at": moment})
    assert response.status_code == 200
    assert refresh(dossier).due_at == dt.datetime.fromisoformat(moment)


def test_the_agencys_own_hours_count(dossier, team):
    team.agency.working_periods = [["07:00", "11:00"], ["13:30", "16:30"]]
    team.agency.save(update_fields=["working_periods"])
    day = working_day_after(10)
    late = api_post(team.specialist, dossier, {"new_due_at": at(day, 16, 45)}, HTTP_ACCEPT_LANGUAGE="vi")
    assert late.status_code == 400
    assert "07:00–11:00, 13:30–16:30" in late.json()["error"]["fields"]["new_due_at"][0]
    assert api_post(team.specialist, dossier, {"new_due_at": day.isoformat()}).status_code == 200
    assert timezone.localtime(refresh(dossier).due_at) == dt.datetime.combine(day, dt.time(16, 30), tzinfo=TZ)
