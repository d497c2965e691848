"""The deadline sweep on real workers and the real Redis broker: sent twice to two workers at
once, each overdue dossier is escalated exactly once."""

import datetime as dt

import pytest
from django.utils import timezone

from dossiers.constants import DossierState
from dossiers.models import Dossier
from portal.constants import OfficerRole
from portal.models import Notification
from tests.celery.conftest import broker_url, celery_broker, free_port, wait_for, worker_output
from tests.dossiers.factories import DossierFactory
from tests.factories import OfficerMembershipFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]


def test_two_workers_running_the_sweep_twice_escalate_each_dossier_once(start_worker):
    first = DossierFactory(state=DossierState.PROCESSING, due_at=timezone.now() - dt.timedelta(hours=3))
    agency = first.receiving_agency
    overdue = [first] + [
        DossierFactory(
            receiving_agency=agency,
            procedure_version=first.procedure_version,
            procedure=first.procedure,
            state=DossierState.PROCESSING,
            due_at=timezone.now() - dt.timedelta(hours=n + 4),
        )
        for n in range(7)
    ]
    leader = OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user
    workers = [start_worker(smtp_port=free_port(), queues="default") for _ in range(2)]
    from dossiers import tasks

    with celery_broker(broker_url()):
        for _ in range(2):
            tasks.sweep_deadlines.apply_async(queue="default")
            tasks.sweep_deadlines.apply_async(queue="default")
    ids = [d.pk for d in overdue]
    done = wait_for(lambda: not Dossier.objects.filter(pk__in=ids, escalated_at__isnull=True).exists(), timeout=90)
    assert done, worker_output(workers[0]) + worker_output(workers[1])
    # Let the four runs finish before counting.
    wait_for(lambda: False, timeout=3)
    escalations = Notification.objects.filter(user=leader, event="deadline.escalated")
    assert escalations.count() == len(overdue)
    assert sorted(escalations.values_list("dossier_code", flat=True)) == sorted(d.code for d in overdue)
