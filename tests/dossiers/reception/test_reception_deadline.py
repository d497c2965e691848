"""Receiving an online dossier within 8 working hours of its submission (Decree 45/2020/NĐ-CP):
the deadline per dossier (hand-computed across a lunch break, a weekend and public holidays),
its end when reception answers, the sweep's warning before and escalation after it (each once),
the reception queue's column and the figures for the statistics.

Working time by default: 07:30–11:30 and 13:00–17:00, Monday to Friday.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dossiers import services
from dossiers.constants import Channel, DossierState
from dossiers.core.clock import reception_deadline
from dossiers.models import Dossier
from dossiers.services import deadlines
from dossiers.stats.reception import reception_deadline_figures
from portal.models import Notification
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory, Team, make_pdf, refresh
from tests.dossiers.helpers import page_client
from tests.factories import with_totp

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def t(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HCM)


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        # Monday 10:00: 1 h 30 before lunch, 4 h in the afternoon, 2 h 30 on Tuesday.
        (t(2026, 12, 7, 10), t(2026, 12, 8, 10)),
        # Submitted during the lunch break: the clock starts at 13:00 → Tuesday 11:30.
        (t(2026, 12, 7, 12, 15), t(2026, 12, 8, 11, 30)),
        # Tuesday 09:00: 2 h 30 in the morning, 4 h afternoon, then Wednesday 07:30 + 1 h 30.
        (t(2026, 12, 8, 9), t(2026, 12, 9, 9)),
        # Friday 15:00: 2 h on Friday, the weekend skipped, Monday 07:30 + 6 h = 15:00.
        (t(2026, 12, 4, 15), t(2026, 12, 7, 15)),
        # Saturday: counted from Monday 07:30, 8 h → Monday 17:00.
        (t(2026, 12, 5, 10), t(2026, 12, 7, 17)),
        # Monday 23 November 2026, 13:00: 4 h; Tuesday 24 is Vietnam Cultural Day (off);
        # Wednesday 07:30 + 4 h = 11:30.
        (t(2026, 11, 23, 13), t(2026, 11, 25, 11, 30)),
        # Thursday 31 December 2026, 14:00: 3 h; New Year's Day (Friday) and the weekend off;
        # Monday 4 January 2027 07:30 + 5 h = 14:00.
        (t(2026, 12, 31, 14), t(2027, 1, 4, 14)),
    ],
)
def test_the_reception_deadline_is_eight_working_hours(submitted, due):
    dossier = DossierFactory(channel=Channel.ONLINE)
    assert reception_deadline(dossier, submitted) == due


def test_a_counter_or_postal_dossier_has_no_reception_deadline():
    for channel in (Channel.COUNTER, Channel.POST):
        assert reception_deadline(DossierFactory(channel=channel), t(2026, 12, 7, 10)) is None


def test_submission_sets_the_deadline_and_reception_ends_it(citizen, django_capture_on_commit_callbacks):
    version = OnlineVersionFactory()
    draft = services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=citizen, dossier=draft, data={"full_name": "Nguyễn Văn An"})
    services.dossier_document_upload(
        user=citizen, dossier=draft, requirement_id=version.documents.get().pk, name="to-khai.pdf", content=make_pdf()
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier, _pin = services.dossier_submit(user=citizen, dossier_id=draft.pk, declaration=True)
        # The request itself reads no calendar: the acknowledgement's task sets the deadline.
        assert refresh(dossier).reception_due_at is None
    dossier = refresh(dossier)
    assert dossier.reception_due_at == reception_deadline(dossier, dossier.submitted_at)
    assert dossier.reception_due_at > dossier.submitted_at and dossier.reception_answered_at is None
    team = Team(dossier.receiving_agency)
    services.dossier_request_supplement(
        user=team.reception, dossier_id=dossier.pk, items=[{"field": "full_name", "reason": "Họ tên chưa đúng"}]
    )
    assert refresh(dossier).reception_answered_at is not None


@pytest.fixture
def team():
    return Team(DossierFactory().receiving_agency)


def waiting(team, submitted: dt.datetime) -> Dossier:
    dossier = DossierFactory(receiving_agency=team.agency, submitted_at=submitted)
    Dossier.objects.filter(pk=dossier.pk).update(reception_due_at=reception_deadline(dossier, submitted))
    return refresh(dossier)


def events_of(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("event", flat=True))


def test_the_sweep_warns_before_and_escalates_after_each_once(team):
    now = t(2026, 12, 8, 9)  # Tuesday 09:00
    overdue = waiting(team, t(2026, 12, 4, 8))  # 7 h 30 on Friday, due Monday 08:00: overdue
    soon = waiting(team, t(2026, 12, 7, 10, 30))  # due Tuesday 10:30: within 2 working hours
    later = waiting(team, t(2026, 12, 8, 8))  # due Wednesday 08:00
    Notification.objects.all().delete()

    first = deadlines.deadlines_sweep(now=now)
    assert (first.receptions_overdue, first.receptions_due_soon) == (1, 1)
    overdue, soon, later = (refresh(d) for d in (overdue, soon, later))
    assert overdue.reception_escalated_at == now
    assert soon.reception_warned_at == now and soon.reception_escalated_at is None
    assert later.reception_warned_at is None and later.reception_escalated_at is None
    assert events_of(team.reception) == ["deadline.reception_due_soon", "deadline.reception_overdue"]
    assert events_of(team.leader) == ["deadline.reception_overdue"]
    escalation = Notification.objects.get(user=team.leader)
    assert overdue.code in escalation.subject + escalation.body and "08:00 07/12/2026" in escalation.body

    before = Notification.objects.count()
    again = deadlines.deadlines_sweep(now=now)
    assert (again.receptions_overdue, again.receptions_due_soon) == (0, 0)
    assert Notification.objects.count() == before


def test_receiving_ends_the_clock_and_a_received_dossier_is_not_swept(team):
    dossier = waiting(team, t(2026, 12, 4, 8))
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    dossier = refresh(dossier)
    assert dossier.state == DossierState.RECEIVED and dossier.reception_answered_at is not None
    Notification.objects.all().delete()
    assert deadlines.deadlines_sweep(now=t(2026, 12, 8, 9)).receptions_overdue == 0
    assert not Notification.objects.filter(event__startswith="deadline.reception").exists()


def test_the_figures_count_answers_on_time_late_and_waiting(team):
    start, end, moment = t(2026, 12, 1, 0), t(2026, 12, 31, 0), t(2026, 12, 10, 9)
    on_time = waiting(team, t(2026, 12, 7, 10))
    late = waiting(team, t(2026, 12, 2, 10))
    waiting(team, t(2026, 12, 3, 10))  # still waiting, past its deadline
    waiting(team, t(2026, 11, 20, 10))  # outside the period
    Dossier.objects.filter(pk=on_time.pk).update(reception_answered_at=t(2026, 12, 8, 9), state="received")
    Dossier.objects.filter(pk=late.pk).update(reception_answered_at=t(2026, 12, 9, 9), state="received")
    for pk in (on_time.pk, late.pk):
        refresh(Dossier.objects.get(pk=pk)).save(update_fields=["state"])  # keeps status_code in step
    figures = reception_deadline_figures(agency_ids=[team.agency.pk], start=start, end=end, moment=moment)
    assert figures == {"answered_on_time": 1, "answered_late": 1, "waiting_overdue": 1, "on_time_rate": 50.0}


def test_the_reception_queue_shows_the_deadline(client, team, django_assert_max_num_queries):
    overdue = waiting(team, t(2026, 11, 2, 8))  # Monday 08:00: due Tuesday 3 November, 08:00
    page_client(client, with_totp(team.reception))
    # Cold: the list's filter choices (procedures, fields, officers, departments) are read once
    # per officer, then cached (issue 18's worklists).
    with django_assert_max_num_queries(20):
        response = client.get(reverse("dossiers:reception_queue"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hạn tiếp nhận" in body and overdue.code in body
    cells = re.findall(r'reception-due">(.*?)</td>', body)
    # Oldest first: the overdue one, then the fixture's dossier (no deadline recorded).
    assert cells[0].startswith("08:00 03/11/2026") and "Quá hạn" in cells[0]
    assert cells[1] == "—"
