"""The outbox (hộp thư đi): side effects of a change, recorded with it and published on commit.

Any app that wants a Celery task run because of a change it is saving calls
`outbox_enqueue` inside that change's transaction. The row commits or rolls back with the
change; on commit it is published to the broker. When the broker is unreachable the
request still succeeds: the row stays unpublished (with the error) and the beat task
`portal.tasks.outbox_republish` publishes it within a minute or so of the broker's return.

Published is not done. Redis keeps nothing on disk here, so a restart between publication
and consumption loses the message; a hard-killed worker's message waits for the broker's
visibility timeout. The message's last task (the chain's last step) runs under a task id
that names the row (`outbox_task_id`), and its success stamps the row done
(`outbox_mark_done`, from a ``task_success`` receiver). The beat re-publisher also sends
again the rows published more than ``OUTBOX_REDELIVER_AFTER`` seconds ago and still not
done, up to ``OUTBOX_MAX_ATTEMPTS`` times.

Delivery is at least once: a row may be published twice if the process dies between the
broker accepting it and the row being stamped, or when it is republished. Tasks sent through
the outbox must therefore be idempotent (take ids, return early when their work is done).
"""

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import partial
from importlib import import_module

from celery import Task, chain, current_app, signature
from celery.exceptions import Retry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.celery import QUEUES, route_queue
from portal.models import OutboxMessage

logger = logging.getLogger(__name__)

OUTBOX_QUEUES = QUEUES
# Rows younger than this are left to their own on-commit publish by the re-publisher.
REPUBLISH_GRACE_SECONDS = 30
REPUBLISH_BATCH = 500


def outbox_enqueue(
    *,
    task: str,
    args: list | None = None,
    kwargs: dict | None = None,
    queue: str | None = None,
    then: list | None = None,
) -> OutboxMessage:
    """Record that Celery task ``task`` must run with ``args``/``kwargs`` on ``queue``
    (by default the queue ``portal.celery.TASK_ROUTES`` gives the task), followed by the
    signatures ``then`` as a chain (each step gets the previous one's result unless immutable).

    Call it inside the transaction of the change that causes the task; the message is
    published when that transaction commits and never if it rolls back. Outside a
    transaction it is published at once. Arguments must be JSON (ids, short strings):
    the task reads everything else from the database. The task must be idempotent.

        outbox_enqueue(task="dossiers.tasks.render_slip", args=[dossier.pk, "01", 3])  # queue "pdf", routed
    """
    queue = queue or route_queue(task)
    if not task or queue not in OUTBOX_QUEUES:
        raise ValidationError(_("Tác vụ hoặc hàng đợi không hợp lệ."), code="invalid")
    kwargs = dict(kwargs or {})
    if then:
        # Celery keeps a message's remaining chain last step first.
        kwargs[CHAIN_KWARG] = [dict(step) for step in reversed(then)]
    message = OutboxMessage.objects.create(task=task, args=list(args or []), kwargs=kwargs, queue=queue)
    batch = _batch.get()
    if batch is not None:
        transaction.on_commit(partial(batch.append, message.pk), robust=True)
    else:
        transaction.on_commit(partial(outbox_publish, message_id=message.pk), robust=True)
    return message


# Inside ``outbox_batch()``: the ids of the messages committed so far, published at its end.
_batch: ContextVar[list[int] | None] = ContextVar("outbox_batch", default=None)


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Many changes committed one after another (a bulk action: one transaction per dossier)
    publish their messages together when the block ends, in one transaction
    (``outbox_publish_many``), instead of one transaction per message after each commit.

    A message still goes only if its change committed; one whose change rolled back is never
    listed. Should the process die before the block ends, the committed rows are unpublished
    and the re-publisher sends them, as for a broker that was away."""
    if _batch.get() is not None:
        yield
        return
    committed: list[int] = []
    token = _batch.set(committed)
    try:
        yield
    finally:
        _batch.reset(token)
        outbox_publish_many(message_ids=committed)


# A kept message that starts a Celery chain holds the chain's next steps under this key of its
# kwargs (no task takes it): republished, the chain goes on as if never interrupted.
CHAIN_KWARG = "__chain__"


def outbox_keep_unpublished(
    *, task: str, args: list, kwargs: dict, queue: str, error: Exception, chain: list | None = None
) -> OutboxMessage:
    """Keep a message the broker refused, for the re-publisher (see `portal.celery.PortalTask`);
    ``chain`` is the rest of the chain it starts (signatures), kept with it."""
    if chain:
        kwargs = {**kwargs, CHAIN_KWARG: [dict(step) for step in chain]}
    return OutboxMessage.objects.create(
        task=task, args=args, kwargs=kwargs, queue=queue, attempts=1, last_error=_error_text(error)
    )


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _registered_task(name: str):
    """The task object if its module can be imported here (web processes import tasks lazily)."""
    task = current_app.tasks.get(name)
    if task is None and "." in name:
        try:
            import_module(name.rsplit(".", 1)[0])
        except ImportError:
            return None
        task = current_app.tasks.get(name)
    return task


_TASK_ID = re.compile(r"^outbox-(\d+)-[0-9a-f]{12}$")


def outbox_task_id(message_id: int) -> str:
    """The task id of a message's last task: names the row, fresh at each publication."""
    return f"outbox-{message_id}-{uuid.uuid4().hex[:12]}"


def outbox_message_of(task_id: str | None) -> int | None:
    """The outbox row a task id names (see `outbox_task_id`), or None."""
    match = _TASK_ID.match(task_id or "")
    return int(match.group(1)) if match else None


# Arguments that are secrets (the tracking PIN printed on the acknowledgement): needed until the
# work is done, never kept after it, while the row waits 30 days for the purge.
SECRET_KWARGS = frozenset({"pin"})


def outbox_mark_done(*, message_id: int) -> bool:
    """The message's work is done (its last task succeeded): it is never republished, and its
    secret arguments are wiped."""
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(pk=message_id, done_at__isnull=True).first()
        if row is None:
            return False
        row.done_at = timezone.now()
        row.kwargs = {key: value for key, value in (row.kwargs or {}).items() if key not in SECRET_KWARGS}
        row.save(update_fields=["done_at", "kwargs"])
    return True


def _run_eagerly(run) -> None:
    """Eager mode (tests): run the task where a worker would, after the publisher's commit and
    outside its transaction, never inside it. A task run inside the publisher's transaction
    would have its rows rolled back with it while the files it wrote stayed, and its own
    commits (the files-kept guard's) would be the publisher's savepoints. A task that fails is
    logged and its row stays published, not done, for the redelivery, as with a worker."""

    def eagerly() -> None:
        try:
            run()
        except Retry:
            pass  # the task ran and scheduled its own retry; the message was handed over

    transaction.on_commit(eagerly, robust=True)


def _send(message: OutboxMessage) -> None:
    kwargs = dict(message.kwargs)
    options = {"queue": message.queue}
    if CHAIN_KWARG in kwargs:
        steps = [dict(step) for step in kwargs.pop(CHAIN_KWARG)]
        # The chain's last step (first in Celery's order) reports the row done.
        steps[0]["options"] = {**steps[0].get("options", {}), "task_id": outbox_task_id(message.pk)}
        if current_app.conf.task_always_eager:
            # Eager mode (tests) runs no ``chain`` option: run the chain itself, in order.
            first = signature(message.task, args=message.args, kwargs=kwargs, options=options)
            _run_eagerly(chain(first, *(signature(step) for step in reversed(steps))).apply_async)
            return
        options["chain"] = steps
    else:
        options["task_id"] = outbox_task_id(message.pk)
    task = _registered_task(message.task)
    if task is None:
        # Not imported in this process (another app's worker has it): send it by name.
        current_app.send_task(message.task, args=message.args, kwargs=kwargs, **options)
        return
    # The base class's apply_async would, on failure, keep a second copy in the outbox;
    # this row is already that copy, so publish through Celery's own implementation.
    if current_app.conf.task_always_eager:
        _run_eagerly(partial(Task.apply_async, task, args=message.args, kwargs=kwargs, **options))
        return
    try:
        Task.apply_async(task, args=message.args, kwargs=kwargs, **options)
    except Retry:
        pass  # eager mode only: the task ran and scheduled its own retry; the message was handed over


def _redeliverable(now) -> Q:
    """Rows published long enough ago that their message must have been lost, still not done."""
    cutoff = now - timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER)
    return Q(done_at__isnull=True, published_at__lte=cutoff, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)


def outbox_publish(*, message_id: int, redeliver: bool = False) -> bool:
    """Publish one unpublished row (with ``redeliver``, also a row published but not done
    for longer than ``OUTBOX_REDELIVER_AFTER``); True when it was published now.

    The row is locked (skipping a row another process is publishing), so two publishers
    never send the same row at the same time. Never raises: a failure is recorded on the row.
    """
    try:
        with transaction.atomic():
            waiting = Q(published_at__isnull=True)
            if redeliver:
                waiting |= _redeliverable(timezone.now())
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(waiting, pk=message_id).first()
            if message is None:
                return False
            message.attempts += 1
            try:
                _send(message)
            except Exception as error:  # noqa: BLE001 - any failure keeps the row for the re-publisher
                message.last_error = _error_text(error)
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox: %s #%s not published: %s", message.task, message.pk, message.last_error)
                return False
            message.published_at = timezone.now()
            message.save(update_fields=["attempts", "published_at"])
            return True
    except Exception:
        # The database itself failed; the row (if any) is still there for the next run.
        logger.exception("outbox: publishing #%s failed", message_id)
        return False


def outbox_publish_many(*, message_ids: list[int]) -> int:
    """Publish the unpublished rows among ``message_ids``, in their order of creation, in one
    transaction (rows another process is publishing are skipped); how many were published.
    Never raises: a failure is recorded on its row, the others go on."""
    if not message_ids:
        return 0
    try:
        with transaction.atomic():
            messages = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(published_at__isnull=True, pk__in=message_ids)
                .order_by("pk")
            )
            sent, failed = [], []
            for message in messages:
                message.attempts += 1
                try:
                    _send(message)
                except Exception as error:  # noqa: BLE001 - any failure keeps the row for the re-publisher
                    message.last_error = _error_text(error)
                    failed.append(message)
                    logger.warning("outbox: %s #%s not published: %s", message.task, message.pk, message.last_error)
                else:
                    message.published_at = timezone.now()
                    sent.append(message)
            if sent:
                OutboxMessage.objects.bulk_update(sent, ["attempts", "published_at"])
            if failed:
                OutboxMessage.objects.bulk_update(failed, ["attempts", "last_error"])
            return len(sent)
    except Exception:
        logger.exception("outbox: publishing %s messages failed", len(message_ids))
        return 0


def outbox_publish_pending(*, grace_seconds: int = REPUBLISH_GRACE_SECONDS, batch: int = REPUBLISH_BATCH) -> int:
    """Publish rows left unpublished for more than ``grace_seconds``, oldest first, then
    publish again the rows whose message was lost (published, not done after
    ``OUTBOX_REDELIVER_AFTER`` seconds).

    Stops at the first failure: the broker is most likely still down, and the rest would
    only wait for the same timeout. Returns how many rows were published.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    unpublished = Q(published_at__isnull=True, created_at__lte=cutoff)
    ids = list(
        OutboxMessage.objects.filter(unpublished | _redeliverable(now))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    published = 0
    for message_id in ids:
        if outbox_publish(message_id=message_id, redeliver=True):
            published += 1
        elif OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).exists():
            break
    return published


def outbox_purge_published(*, days: int = 30) -> int:
    """Delete rows done more than ``days`` ago, and those given up after the last attempt
    as long ago (their arguments may name people)."""
    cutoff = timezone.now() - timedelta(days=days)
    given_up = Q(done_at__isnull=True, published_at__lt=cutoff, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
    deleted, _rows = OutboxMessage.objects.filter(Q(done_at__lt=cutoff) | given_up).delete()
    return deleted
