"""Hard faults of the task pipeline, with real processes: a private Redis (killed and restarted),
this run's test database, real prefork workers (killed with SIGKILL, stopped with SIGTERM) and a real
SMTP server. Each case ends with every side effect done exactly once and its outbox row done.

Timings are production's scaled down (tests/faults/worker_settings.py): a visibility timeout of
4 s stands for production's 540 s, a soft shutdown of 3 s for 15 s.
"""

import time

import pytest
from django.db import transaction

from portal import notifications
from portal.models import DeliveryStatus, NotificationDelivery, OutboxMessage
from portal.services.outbox import outbox_publish_pending
from tests.celery.conftest import _database_url, celery_broker, wait_for
from tests.factories import UserFactory
from tests.faults.conftest import RESTORE_INTERVAL, VISIBILITY_TIMEOUT, measure

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("faults")]

CONTEXT = {"dossier_code": "000.00.12.H48-261122-0001", "procedure": "Đăng ký khai sinh", "url": "/dossiers/X/"}


@pytest.fixture
def database_url(transactional_db) -> str:
    """No case here stops PostgreSQL: the workers use this run's own test database (a private
    cluster, as tests/faults/test_database_faults.py needs, costs seconds to set up)."""
    return _database_url()


# What a worker logs when it takes a notification's delivery (its banner lists the task's name too).
RECEIVED = "Task portal.tasks.deliver_notification["


def _notify(*users):
    with transaction.atomic():
        return [notifications.notify(user, "dossier.result_ready", CONTEXT) for user in users]


def _sent(notification) -> int:
    return NotificationDelivery.objects.filter(
        notification=notification, channel="email", status=DeliveryStatus.SENT
    ).count()


def _all_done() -> bool:
    return not OutboxMessage.objects.filter(done_at__isnull=True).exists()


def _recipients(handler) -> list[str]:
    return sorted(address for envelope in handler.messages for address in envelope.rcpt_tos)


def test_a_whole_worker_killed_mid_task_has_its_task_run_again_in_seconds_once(
    private_redis, database_url, smtp_server, fault_worker, record_property
):
    handler, port = smtp_server(hold_first=True)
    # Two workers on the queue, as in production: one dies, the other carries on. Started
    # together, their start-up (seconds of imports each on a busy machine) overlaps.
    workers = [
        fault_worker(broker_url=private_redis.url, database_url=database_url, smtp_port=port, wait=False)
        for _ in range(2)
    ]
    for worker in workers:
        assert wait_for(worker.ready, timeout=90, interval=0.2), worker.output()
    user = UserFactory(email="bi.giet@example.com")
    with celery_broker(private_redis.url):
        [notification] = _notify(user)
    # One worker's child is inside the SMTP exchange, the message unacknowledged in Redis.
    assert handler.holding.wait(60), [w.output() for w in workers]
    [busy] = [w for w in workers if RECEIVED in w.output()]
    [survivor] = [w for w in workers if w is not busy]
    busy.kill_hard()  # main process and child at once: no one gives the message back
    killed_at = time.monotonic()
    handler.release.set()
    redelivered = measure(lambda: handler.messages, timeout=60)
    assert redelivered is not None, f"the killed worker's task never ran again: {survivor.output()}"
    since_kill = time.monotonic() - killed_at
    record_property("redelivery_after_sigkill_s", round(since_kill, 1))
    # The survivor gives the message back once it has been unacknowledged for the visibility
    # timeout (540 s in production, counted from its delivery to the dead worker), at its next
    # sweep: seconds here, never the broker's default hour.
    assert since_kill < VISIBILITY_TIMEOUT + RESTORE_INTERVAL + 10, survivor.output()
    assert RECEIVED in survivor.output()
    assert wait_for(lambda: _sent(notification) == 1 and _all_done(), timeout=30)
    time.sleep(VISIBILITY_TIMEOUT + RESTORE_INTERVAL + 0.5)  # a second redelivery would show by now
    assert _recipients(handler) == ["bi.giet@example.com"]


@pytest.mark.faults_long  # about a minute (three worker starts, a soft shutdown): `make faults`
def test_sigterm_stops_a_busy_worker_within_its_grace_and_another_does_the_task(
    private_redis, database_url, smtp_server, fault_worker, record_property
):
    handler, port = smtp_server(hold_first=True)
    worker = fault_worker(broker_url=private_redis.url, database_url=database_url, smtp_port=port)
    user = UserFactory(email="dung.lai@example.com")
    with celery_broker(private_redis.url):
        [notification] = _notify(user)
    assert handler.holding.wait(60), worker.output()
    started = time.monotonic()
    worker.process.send_signal(15)
    worker.process.wait(timeout=40)
    exit_seconds = time.monotonic() - started
    record_property("sigterm_exit_busy_s", round(exit_seconds, 1))
    # Soft shutdown of 3 s (15 s in production), then the running task is cancelled and its
    # message given back ("Restoring 1 unacknowledged message"); the worker is gone well within
    # compose's stop_grace_period (45 s), after which Docker would kill it.
    assert exit_seconds < 45, worker.output()[-1500:]
    assert "Restoring 1 unacknowledged message" in worker.output()
    handler.release.set()
    fault_worker(broker_url=private_redis.url, database_url=database_url, smtp_port=port)
    assert wait_for(lambda: _sent(notification) == 1 and _all_done(), timeout=60)
    assert _recipients(handler) == ["dung.lai@example.com"]

    idle = fault_worker(broker_url=private_redis.url, database_url=database_url, smtp_port=port)
    started = time.monotonic()
    idle.process.send_signal(15)
    idle.process.wait(timeout=40)
    record_property("sigterm_exit_idle_s", round(time.monotonic() - started, 1))
    assert time.monotonic() - started < 10


def test_redis_restarted_with_queued_and_unacknowledged_work_loses_no_side_effect(
    private_redis, database_url, smtp_server, fault_worker, settings
):
    handler, port = smtp_server(hold_first=True)
    worker = fault_worker(broker_url=private_redis.url, database_url=database_url, smtp_port=port)
    users = [UserFactory(email=f"nguoi.{n}@example.com") for n in range(3)]
    with celery_broker(private_redis.url):
        sent = _notify(*users)
    # One message held by the worker (unacknowledged), the two others queued behind it.
    assert handler.holding.wait(60), worker.output()
    assert OutboxMessage.objects.filter(published_at__isnull=False).count() == 3
    private_redis.restart()  # Redis keeps nothing on disk: all three messages are gone
    assert private_redis.queued("notifications") == 0
    handler.release.set()
    # The beat task, after OUTBOX_REDELIVER_AFTER, publishes again what no task reported done.
    settings.OUTBOX_REDELIVER_AFTER = 1
    time.sleep(1.5)
    with celery_broker(private_redis.url):
        assert outbox_publish_pending(grace_seconds=0) >= 2
    assert wait_for(lambda: all(_sent(n) == 1 for n in sent) and _all_done(), timeout=90), worker.output()
    with celery_broker(private_redis.url):
        assert outbox_publish_pending(grace_seconds=0) == 0  # done is never sent again
    assert _recipients(handler) == [u.email for u in users]
