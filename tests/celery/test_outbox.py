"""The Celery set-up and the outbox, in this process: routing, the base task, the database
beat schedule, and publishing through an unreachable then a real Redis broker."""

import base64
import json

import pytest
import redis
from django.core.cache import cache
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from portal import tasks
from portal.beat import sync_beat_schedule
from portal.celery import PortalTask, app
from portal.models import OutboxMessage
from portal.services import outbox_enqueue
from portal.services.outbox import (
    outbox_batch,
    outbox_mark_done,
    outbox_publish,
    outbox_publish_many,
    outbox_publish_pending,
)
from tests.celery.conftest import broker_url, celery_broker, free_port

pytestmark = pytest.mark.django_db


def _queued(queue: str) -> int:
    return redis.Redis.from_url(broker_url()).llen(queue)


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("portal.tasks.deliver_notification", "notifications"),
        ("dossiers.tasks.send_acknowledgement", "notifications"),
        ("dossiers.tasks.render_acknowledgement", "pdf"),
        ("dossiers.tasks.render_slip", "pdf"),
        ("signing.tasks.sign_result", "signing"),
        ("portal.tasks.outbox_republish", "default"),
    ],
)
def test_tasks_are_routed_by_name(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_acks_late_retries_transient_errors_and_speaks_json():
    from django.db.utils import OperationalError

    task = tasks.outbox_republish
    assert isinstance(task, PortalTask)
    assert task.acks_late and task.reject_on_worker_lost
    assert OperationalError in task.autoretry_for and task.retry_jitter and task.retry_backoff
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert {q.name for q in app.conf.task_queues} == {"default", "pdf", "signing", "notifications"}


def test_enqueue_publishes_on_commit_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(task="portal.tasks.ping", args=["on-commit"], queue="default")
        assert cache.get("ping:on-commit") is None  # not before the commit
    message.refresh_from_db()
    assert message.published_at is not None and message.attempts == 1
    assert cache.get("ping:on-commit")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                outbox_enqueue(task="portal.tasks.ping", args=["rolled-back"])
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and OutboxMessage.objects.count() == 1


def test_a_batch_publishes_what_committed_at_its_end_in_one_transaction(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    with celery_broker(broker_url()), outbox_batch():
        for key in ("b1", "b2", "b3"):
            # (The test's own transaction: each block's commit is the captured callbacks' run.)
            with django_capture_on_commit_callbacks(execute=True):
                outbox_enqueue(task="portal.tasks.ping", args=[key], queue="default")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    outbox_enqueue(task="portal.tasks.ping", args=["b-rolled-back"], queue="default")
                    raise RuntimeError
            except RuntimeError:
                pass
        assert callbacks == []
        # Committed, not yet published: nothing has reached the broker inside the block.
        assert not OutboxMessage.objects.filter(published_at__isnull=False).exists()
        assert _queued("default") == 0
    rows = list(OutboxMessage.objects.order_by("pk").values_list("args", "attempts"))
    assert rows == [(["b1"], 1), (["b2"], 1), (["b3"], 1)]
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    assert _queued("default") == 3
    # Already published: a second call sends nothing (two publishers never send a row twice).
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):  # savepoint, the locking read finding nothing, release
        assert outbox_publish_many(message_ids=ids) == 0


def test_a_batch_keeps_what_the_broker_refused_for_the_republisher():
    ids = [OutboxMessage.objects.create(task="portal.tasks.ping", args=[f"r{i}"], queue="default").pk for i in (1, 2)]
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        assert outbox_publish_many(message_ids=ids) == 0
    rows = list(OutboxMessage.objects.order_by("pk").values_list("published_at", "attempts"))
    assert rows == [(None, 1), (None, 1)]
    assert all("Error" in e for e in OutboxMessage.objects.values_list("last_error", flat=True))


@pytest.mark.parametrize(("task", "queue"), [("", "default"), ("portal.tasks.ping", "nowhere")])
def test_enqueue_refuses_bad_input(task, queue):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        outbox_enqueue(task=task, args=[], queue=queue)
    assert not OutboxMessage.objects.exists()


def test_broker_down_keeps_the_row_then_the_beat_task_publishes_it_once(django_capture_on_commit_callbacks):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True):
            message = outbox_enqueue(task="portal.tasks.ping", args=["later"], queue="default")
    message.refresh_from_db()
    assert message.published_at is None and message.attempts == 1 and "Error" in message.last_error
    with celery_broker(broker_url()):
        assert outbox_publish_pending(grace_seconds=3600) == 0  # still young: left to its own publish
        assert outbox_publish_pending(grace_seconds=0) == 1
        assert outbox_publish_pending(grace_seconds=0) == 0
        assert outbox_publish(message_id=message.pk) is False
        assert tasks.outbox_republish() == 0
    message.refresh_from_db()
    assert message.published_at is not None and message.attempts == 2
    assert _queued("default") == 1


def test_the_republisher_stops_at_the_first_failure():
    for i in range(3):
        OutboxMessage.objects.create(task="portal.tasks.ping", args=[f"k{i}"], queue="default")
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        assert outbox_publish_pending(grace_seconds=0) == 0
    assert list(OutboxMessage.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]


def test_a_failed_apply_async_lands_in_the_outbox_instead_of_raising():
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        assert tasks.ping.apply_async(args=["fallback"]) is None
        tasks.deliver_notification.delay(123)
    rows = list(OutboxMessage.objects.order_by("pk").values_list("task", "args", "queue", "published_at"))
    assert rows == [
        ("portal.tasks.ping", ["fallback"], "default", None),
        ("portal.tasks.deliver_notification", [123], "notifications", None),
    ]


def test_beat_schedule_sync_adds_missing_entries_and_keeps_admin_changes(settings):
    created = sync_beat_schedule()
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(PeriodicTask.objects.values_list("name", flat=True))
    assert "portal-outbox-republish" in created and "dossiers-purge-stale-drafts" in created
    entry = PeriodicTask.objects.get(name="portal-outbox-republish")
    assert entry.task == "portal.tasks.outbox_republish" and entry.interval.every == 60
    # An admin slows it down; the next start (or seed_demo) leaves that alone.
    entry.interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    entry.save()
    assert sync_beat_schedule() == []
    entry.refresh_from_db()
    assert (entry.interval.every, entry.interval.period) == (5, IntervalSchedule.MINUTES)
    # Deleted by mistake: it comes back with the default.
    entry.delete()
    assert sync_beat_schedule() == ["portal-outbox-republish"]
    # django-celery-beat itself must have nothing to write over the database.
    assert app.conf.beat_schedule == {}


def test_housekeeping_stays_scheduled(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"dossiers.tasks.purge_stale_drafts", "portal.tasks.outbox_republish", "portal.tasks.outbox_purge"} <= (
        tasks_scheduled
    )


def test_the_timings_fit_together(settings):
    """A waiting retry plus a run never outlast the visibility timeout (else a live worker's
    message is handed out twice); the outbox republishes only after Redis's own redelivery."""
    from portal.tasks import DELIVERY_BACKOFF_MAX

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    longest_hold = settings.CELERY_TASK_TIME_LIMIT + settings.CELERY_TASK_MAX_COUNTDOWN
    assert longest_hold < options["visibility_timeout"] <= 600
    assert PortalTask.retry_backoff_max <= settings.CELERY_TASK_MAX_COUNTDOWN
    assert DELIVERY_BACKOFF_MAX <= settings.CELERY_TASK_MAX_COUNTDOWN
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 60
    assert settings.OUTBOX_REDELIVER_AFTER > options["visibility_timeout"]
    assert 0 < settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT < 45  # compose's stop_grace_period
    assert settings.CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS is True


def test_no_task_overrides_the_base_tasks_retry_policy():
    for name, task in app.tasks.items():
        if name.startswith(("portal.", "dossiers.", "signing.")):
            assert isinstance(task, PortalTask), name
            assert task.autoretry_for == PortalTask.autoretry_for, name
            assert task.acks_late and task.reject_on_worker_lost, name


def test_a_message_is_done_only_when_its_task_succeeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(task="portal.tasks.ping", args=["done"])
    message.refresh_from_db()
    # Eager here: the task ran under the id naming the row, its success stamped the row.
    assert message.published_at is not None and message.done_at is not None
    assert cache.get("ping:done")


def test_a_lost_message_is_published_again_and_a_done_one_never(settings):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER + 1)
    lost = OutboxMessage.objects.create(task="portal.tasks.ping", args=["lost"], published_at=long_ago, attempts=1)
    done = OutboxMessage.objects.create(
        task="portal.tasks.ping", args=["was-done"], published_at=long_ago, done_at=long_ago, attempts=1
    )
    recent = OutboxMessage.objects.create(
        task="portal.tasks.ping", args=["recent"], published_at=timezone.now(), attempts=1
    )
    given_up = OutboxMessage.objects.create(
        task="portal.tasks.ping", args=["given-up"], published_at=long_ago, attempts=settings.OUTBOX_MAX_ATTEMPTS
    )
    with celery_broker(broker_url()):
        assert outbox_publish_pending(grace_seconds=0) == 1
    lost.refresh_from_db()
    assert lost.attempts == 2 and lost.published_at > long_ago
    assert _queued("default") == 1
    for row in (done, recent, given_up):
        before = row.attempts
        row.refresh_from_db()
        assert row.attempts == before


def test_a_pipeline_is_recorded_in_its_transaction_and_reports_done_at_its_last_step(
    django_capture_on_commit_callbacks,
):
    from celery import signature

    with celery_broker(broker_url()), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = outbox_enqueue(
                task="portal.tasks.ping",
                args=["first"],
                then=[signature("portal.tasks.ping", args=("second",), immutable=True)],
            )
            assert OutboxMessage.objects.filter(pk=message.pk, published_at=None).exists()
    message.refresh_from_db()
    assert message.published_at is not None and message.done_at is None  # in the broker, not done
    envelope = json.loads(redis.Redis.from_url(broker_url()).lindex("default", 0))
    _args, _kwargs, embed = json.loads(base64.b64decode(envelope["body"]))
    assert not envelope["headers"]["id"].startswith("outbox-")
    # The chain's last step carries the row's id: its success marks the row done.
    assert embed["chain"][0]["options"]["task_id"].startswith(f"outbox-{message.pk}-")


def test_a_done_message_keeps_no_secret_argument(django_capture_on_commit_callbacks):
    """The acknowledgement's tracking PIN travels in the row until the work is done, not after."""
    message = OutboxMessage.objects.create(
        task="dossiers.tasks.render_acknowledgement", args=[1], kwargs={"pin": "12345678"}
    )
    assert outbox_mark_done(message_id=message.pk)
    message.refresh_from_db()
    assert message.done_at is not None and "pin" not in message.kwargs
    assert not outbox_mark_done(message_id=message.pk)  # once


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chained", [False, True], ids=["task", "chain"])
def test_eager_tasks_run_after_the_publishers_commit_outside_its_transaction(monkeypatch, chained):
    """In eager mode (tests) a task runs where a worker would: after the publisher committed,
    in no transaction. Run inside the publisher's transaction, its rows would roll back with
    a failing publisher while the files it wrote stayed (issue 23: slip files without a row
    after a PostgreSQL restart), and the files-kept guard could not read its row again."""
    from celery import signature
    from django.db import connection

    seen = []

    def probe(key, *rest):
        published = OutboxMessage.objects.filter(published_at__isnull=False).values_list("args", flat=True)
        seen.append((key, connection.in_atomic_block, [args[0] for args in published]))

    monkeypatch.setattr(tasks.ping, "run", probe)
    then = [signature("portal.tasks.ping", args=["second"], immutable=True)] if chained else None
    message = outbox_enqueue(task="portal.tasks.ping", args=["first"], queue="default", then=then)
    message.refresh_from_db()
    expected = [("first", False, ["first"])] + ([("second", False, ["first"])] if chained else [])
    assert seen == expected
    # The last task stamped its row done, after the publisher's commit.
    assert message.published_at is not None and message.done_at is not None
