"""The outbox (hộp thư đi): side effects of a change, recorded with it and published on commit.

Any app that wants a Celery task run because of a change it is saving calls
`outbox_enqueue` inside that change's transaction. The row commits or rolls back with the
change; on commit it is published to the broker. When the broker is unreachable the
request still succeeds: the row stays unpublished (with the error) and the beat task
`portal.tasks.outbox_republish` publishes it within a minute or so of the broker's return.

Delivery is at least once: a row may be published twice if the process dies between the
broker accepting it and the row being stamped. Tasks sent through the outbox must
therefore be idempotent (take ids, return early when their work is done).
"""

import logging
from datetime import timedelta
from functools import partial
from importlib import import_module

from celery import Task, current_app
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.db import transaction
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
    *, task: str, args: list | None = None, kwargs: dict | None = None, queue: str | None = None
) -> OutboxMessage:
    """Record that Celery task ``task`` must run with ``args``/``kwargs`` on ``queue``
    (by default the queue ``portal.celery.TASK_ROUTES`` gives the task).

    Call it inside the transaction of the change that causes the task; the message is
    published when that transaction commits and never if it rolls back. Outside a
    transaction it is published at once. Arguments must be JSON (ids, short strings):
    the task reads everything else from the database. The task must be idempotent.

        outbox_enqueue(task="dossiers.tasks.render_slip", args=[dossier.pk, "01", 3])  # queue "pdf", routed
    """
    queue = queue or route_queue(task)
    if not task or queue not in OUTBOX_QUEUES:
        raise ValidationError(_("Tác vụ hoặc hàng đợi không hợp lệ."), code="invalid")
    message = OutboxMessage.objects.create(task=task, args=list(args or []), kwargs=dict(kwargs or {}), queue=queue)
    transaction.on_commit(partial(outbox_publish, message_id=message.pk), robust=True)
    return message


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


def _send(message: OutboxMessage) -> None:
    kwargs = dict(message.kwargs)
    options = {"queue": message.queue}
    if CHAIN_KWARG in kwargs:
        options["chain"] = kwargs.pop(CHAIN_KWARG)
    task = _registered_task(message.task)
    if task is None:
        # Not imported in this process (another app's worker has it): send it by name.
        current_app.send_task(message.task, args=message.args, kwargs=kwargs, **options)
        return
    # The base class's apply_async would, on failure, keep a second copy in the outbox;
    # this row is already that copy, so publish through Celery's own implementation.
    try:
        Task.apply_async(task, args=message.args, kwargs=kwargs, **options)
    except Retry:
        pass  # eager mode only: the task ran and scheduled its own retry; the message was handed over


def outbox_publish(*, message_id: int) -> bool:
    """Publish one unpublished row; True when it was published now.

    The row is locked (skipping a row another process is publishing), so two publishers
    never send the same row at the same time. Never raises: a failure is recorded on the row.
    """
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, published_at__isnull=True)
                .first()
            )
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


def outbox_publish_pending(*, grace_seconds: int = REPUBLISH_GRACE_SECONDS, batch: int = REPUBLISH_BATCH) -> int:
    """Publish rows left unpublished for more than ``grace_seconds``, oldest first.

    Stops at the first failure: the broker is most likely still down, and the rest would
    only wait for the same timeout. Returns how many rows were published.
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    published = 0
    for message_id in ids:
        if outbox_publish(message_id=message_id):
            published += 1
        elif OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).exists():
            break
    return published


def outbox_purge_published(*, days: int = 30) -> int:
    """Delete rows published more than ``days`` ago (their arguments may name people)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _rows = OutboxMessage.objects.filter(published_at__lt=cutoff).delete()
    return deleted
