"""The officers' three answers and the petitioner's reply: each a row of the table with its
event and notice, refused in a state that does not allow it (409, nothing written); the
worklist marks what is due soon and overdue; the sweep warns and marks once; the statistics."""

import datetime as dt

import pytest
from django.utils import timezone

from dossiers.petitions import machine, selectors, services
from dossiers.petitions.models import PetitionEvent
from portal.models import Notification
from tests.dossiers.helpers import api_for
from tests.petitions.conftest import file_one, local

pytestmark = pytest.mark.django_db


def test_every_row_of_the_table_is_exercised_here():
    assert set(machine.TRANSITIONS) == {"file", "refuse", "request_info", "provide_info", "answer"}


def test_ask_for_information_then_the_reply_then_the_answer(world):
    petition = file_one(world, user=world.owner)
    services.petition_request_info(user=world.officer, code=petition.code, request="Xin cho biết số hồ sơ đã nộp.")
    api = api_for(world.owner)
    reply = api.post(
        f"/api/v1/petitions/{petition.code}/actions/",
        {"action": "provide_info", "text": "Số hồ sơ là 000.00.99.T99-261123-0001."},
        format="json",
    )
    assert reply.status_code == 200 and reply.json()["state"] == "received"
    services.petition_answer(user=world.leader, code=petition.code, answer="Hồ sơ đã được giải quyết ngày 25/11.")
    petition.refresh_from_db()
    assert petition.state == "answered" and petition.info_reply.startswith("Số hồ sơ")
    assert list(petition.events.values_list("action", "from_state", "to_state")) == [
        ("file", "", "received"),
        ("request_info", "received", "info_requested"),
        ("provide_info", "info_requested", "received"),
        ("answer", "received", "answered"),
    ]
    subjects = list(Notification.objects.filter(user=world.owner).order_by("pk").values_list("subject", flat=True))
    assert len(subjects) == 4 and "Đã trả lời" in subjects[-1]


def test_an_action_the_state_does_not_allow_is_409_and_writes_nothing(client, world):
    petition = file_one(world, user=world.owner)
    services.petition_refuse(user=world.officer, code=petition.code, reason="Không thuộc thẩm quyền.")
    client.force_login(world.officer)
    response = client.post(
        f"/api/v1/petitions/{petition.code}/actions/",
        {"action": "answer", "text": "Trả lời muộn sau khi đã từ chối tiếp nhận."},
        content_type="application/json",
    )
    assert response.status_code == 409 and "Từ chối tiếp nhận" in response.json()["error"]["message"]
    page = client.post(f"/officer/petitions/{petition.code}/act/", {"action": "answer", "text": "x" * 30})
    assert page.status_code == 409
    assert PetitionEvent.objects.filter(petition=petition).count() == 2
    petition.refresh_from_db()
    assert petition.state == "refused" and petition.answer == ""


def test_a_refusal_needs_its_reason(client, world):
    petition = file_one(world, user=world.owner)
    client.force_login(world.officer)
    response = client.post(f"/officer/petitions/{petition.code}/act/", {"action": "refuse", "text": " "})
    assert response.status_code == 400 and "Vui lòng nêu lý do từ chối" in response.content.decode()
    petition.refresh_from_db()
    assert petition.state == "received" and petition.events.count() == 1


def test_the_worklist_marks_due_soon_and_overdue(client, world, django_assert_max_num_queries):
    late = file_one(world, user=world.owner, title="Đã quá hạn trả lời", now=timezone.now() - dt.timedelta(days=40))
    soon = file_one(world, title="Sắp đến hạn trả lời", now=timezone.now() - dt.timedelta(days=1))
    services.petition_sweep()
    soon.refresh_from_db()
    soon.warned_at = timezone.now()  # warned, whatever today's calendar says
    soon.save(update_fields=["warned_at"])
    file_one(world, title="Cơ quan khác không thấy", procedure_code=None or world.procedure.code)
    client.force_login(world.officer)
    with django_assert_max_num_queries(9):  # whatever the number of rows (three here)
        response = client.get("/officer/petitions/")
    body = response.content.decode()
    assert response.status_code == 200 and late.code in body and soon.code in body
    assert body.count("text-bg-danger") == 1 and "table-danger" in body and "table-warning" in body
    overdue = client.get("/officer/petitions/?list=overdue").content.decode()
    assert late.code in overdue and soon.code not in overdue
    client.force_login(world.stranger)
    assert late.code not in client.get("/officer/petitions/").content.decode()
    client.force_login(world.owner)
    assert client.get("/officer/petitions/").status_code == 403


def test_the_sweep_warns_before_and_marks_overdue_after_once(world):
    petition = file_one(world, now=local(2026, 4, 29, 10, 0))  # answer due Fri 22/05/2026 17:00
    assert services.petition_sweep(now=local(2026, 5, 18, 9, 0)) == {"warned": 0, "overdue": 0}
    assert services.petition_sweep(now=local(2026, 5, 21, 9, 0)) == {"warned": 1, "overdue": 0}
    assert services.petition_sweep(now=local(2026, 5, 21, 10, 0)) == {"warned": 0, "overdue": 0}
    assert services.petition_sweep(now=local(2026, 5, 25, 8, 0)) == {"warned": 0, "overdue": 1}
    assert services.petition_sweep(now=local(2026, 5, 25, 9, 0)) == {"warned": 0, "overdue": 0}
    officers = {world.officer.pk, world.leader.pk, world.specialist.pk}
    warned = Notification.objects.filter(event="petition.due_soon")
    overdue = Notification.objects.filter(event="petition.overdue")
    assert {n.user_id for n in warned} == officers and {n.user_id for n in overdue} == officers
    assert warned.count() == 3 and overdue.count() == 3
    assert world.stranger.pk not in {n.user_id for n in Notification.objects.all()}
    assert list(petition.events.values_list("action", flat=True)) == ["file", "due_soon", "overdue"]


def test_the_counts_per_agency(client, world):
    on_time = file_one(world, user=world.owner)
    services.petition_answer(user=world.officer, code=on_time.code, answer="Trả lời đúng hạn cho công dân.")
    late = file_one(world, now=timezone.now() - dt.timedelta(days=40))
    services.petition_answer(user=world.officer, code=late.code, answer="Trả lời quá hạn cho công dân.")
    file_one(world, now=timezone.now() - dt.timedelta(days=40))  # still open, past its deadline
    today = timezone.localdate()
    rows = selectors.petition_counts_by_agency(
        agency_ids=[world.agency.pk, world.other_agency.pk], first_day=today - dt.timedelta(days=60), last_day=today
    )
    assert rows == [
        {
            "agency_id": world.agency.pk,
            "agency": world.agency.name,
            "received": 3,
            "answered_on_time": 1,
            "answered_late": 1,
            "refused": 0,
            "open_overdue": 1,
        }
    ]


def test_the_statistics_page_shows_the_figure(client, world):
    on_time = file_one(world, user=world.owner)
    services.petition_answer(user=world.officer, code=on_time.code, answer="Trả lời đúng hạn cho công dân.")
    file_one(world)
    client.force_login(world.leader)
    today = timezone.localdate()
    response = client.get(
        "/officer/stats/", {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    )
    assert response.status_code == 200
    body = response.content.decode()
    row = body[body.index(f'<tr data-agency="{world.agency.pk}">') :]
    row = row[: row.index("</tr>")]
    assert world.agency.name in row
    assert '"petitions_received">2<' in row and '"petitions_on_time">1<' in row and '"petitions_late">0<' in row
