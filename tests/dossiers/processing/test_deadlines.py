"""The deadline sweep and the daily digest: who is told what, once, even when run twice or by
two workers at once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from dossiers.constants import DossierState
from dossiers.models import AgencyDigest, Dossier, DossierStep
from dossiers.services import deadlines
from portal.constants import OfficerRole
from portal.models import Notification
from tests.dossiers.factories import DossierFactory, Team, working_moment_after
from tests.factories import OfficerMembershipFactory

pytestmark = pytest.mark.django_db
S = DossierState
# A Tuesday morning in working hours: one working day ahead is Wednesday morning.
NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))


def events_of(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("event", flat=True))


def processing_due(team, due_at) -> Dossier:
    """A dossier being appraised by the team's specialist, due at ``due_at`` (its step too).

    Built directly rather than through the services, so that no slip is rendered: the sweep
    reads only the state, the due times and who holds the step.
    """
    dossier = DossierFactory(
        receiving_agency=team.agency,
        state=S.PROCESSING,
        received_at=NOW - dt.timedelta(days=3),
        due_at=due_at,
        assigned_to=team.specialist,
        current_step=2,
    )
    DossierStep.objects.create(
        dossier=dossier,
        seq=1,
        index=2,
        key="appraise",
        name="Thẩm định, đề xuất",
        role="specialist",
        agency=team.agency,
        assignee=team.specialist,
        started_at=NOW - dt.timedelta(days=3),
        due_at=due_at,
    )
    return dossier


@pytest.fixture
def team():
    return Team(DossierFactory().receiving_agency)


def test_the_horizon_is_one_working_day():
    assert deadlines.sweep_horizon(NOW) == timezone.make_aware(dt.datetime(2026, 12, 2, 9, 0))
    friday_afternoon = timezone.make_aware(dt.datetime(2026, 12, 4, 16, 0))
    assert deadlines.sweep_horizon(friday_afternoon) == timezone.make_aware(dt.datetime(2026, 12, 7, 16, 0))


def test_due_soon_overdue_and_later_are_told_apart_and_told_once(team):
    Notification.objects.all().delete()
    soon = processing_due(team, NOW + dt.timedelta(hours=5))
    late = processing_due(team, NOW - dt.timedelta(hours=1))
    later = processing_due(team, NOW + dt.timedelta(days=10))
    waiting = processing_due(team, NOW - dt.timedelta(days=1))
    Dossier.objects.filter(pk=waiting.pk).update(state=S.SUPPLEMENT_REQUESTED, status_code=5)

    first = deadlines.deadlines_sweep(now=NOW)
    assert (first.steps_due_soon, first.steps_overdue, first.dossiers_due_soon, first.dossiers_escalated) == (
        1,
        1,
        1,
        1,
    )
    soon, late, later = (Dossier.objects.get(pk=d.pk) for d in (soon, late, later))
    assert soon.due_soon_at == NOW and soon.escalated_at is None
    assert late.escalated_at == NOW and late.due_soon_at == NOW
    assert later.due_soon_at is None and later.escalated_at is None
    assert Dossier.objects.get(pk=waiting.pk).escalated_at is None
    # The specialist holds both steps (one due soon, one overdue) and answers for the dossier
    # due soon (with the reminder of the apology letter); the overdue one goes to the leaders.
    assert events_of(team.specialist) == ["deadline.due_soon", "deadline.due_soon", "deadline.overdue"]
    assert events_of(team.head) == ["deadline.due_soon", "deadline.overdue"]
    assert events_of(team.leader) == ["deadline.escalated"]
    escalation = Notification.objects.get(user=team.leader)
    assert late.code in escalation.subject + escalation.body

    before = Notification.objects.count()
    again = deadlines.deadlines_sweep(now=NOW)
    assert again.as_dict() == deadlines.SweepResult().as_dict()
    assert Notification.objects.count() == before


def test_an_apology_puts_the_new_date_under_watch(team):
    dossier = processing_due(team, timezone.now() + dt.timedelta(hours=1))
    deadlines.deadlines_sweep()
    assert Dossier.objects.get(pk=dossier.pk).due_soon_at is not None
    from dossiers import services

    new_date = working_moment_after(30)
    services.dossier_apologise(user=team.specialist, dossier_id=dossier.pk, reason="Chờ xác minh", new_due_at=new_date)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.due_soon_at is None and dossier.original_due_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_escalate_each_dossier_once():
    team = Team(DossierFactory().receiving_agency)
    second_leader = OfficerMembershipFactory(agency=team.agency, role=OfficerRole.LEADER).user
    overdue = [processing_due(team, NOW - dt.timedelta(hours=n + 1)) for n in range(12)]
    Notification.objects.all().delete()
    barrier = threading.Barrier(2)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(deadlines.deadlines_sweep(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert sum(r.dossiers_escalated for r in results) == len(overdue)
    for leader in (team.leader, second_leader):
        assert Notification.objects.filter(user=leader, event="deadline.escalated").count() == len(overdue)
    assert not Dossier.objects.filter(pk__in=[d.pk for d in overdue], escalated_at__isnull=True).exists()


def test_daily_digest_counts_and_goes_out_once(team):
    processing_due(team, NOW - dt.timedelta(hours=1))
    processing_due(team, NOW + dt.timedelta(hours=3))
    waiting = processing_due(team, NOW + dt.timedelta(days=5))
    Dossier.objects.filter(pk=waiting.pk).update(state=S.SUPPLEMENT_REQUESTED, status_code=5)
    Notification.objects.all().delete()
    day = timezone.localdate(NOW - dt.timedelta(days=3))  # the day they were received
    figures = deadlines.agency_digest_figures(agency_id=team.agency.pk, day=day, now=NOW)
    assert figures == {"received": 3, "resolved": 0, "due_soon": 1, "overdue": 1, "waiting": 1}
    assert deadlines.daily_digest_send(day=day, now=NOW) >= 1
    assert Notification.objects.filter(user=team.leader, event="digest.daily").count() == 1
    assert AgencyDigest.objects.get(agency=team.agency, day=day).figures == figures
    deadlines.daily_digest_send(day=day, now=NOW)
    assert Notification.objects.filter(user=team.leader, event="digest.daily").count() == 1
