"""The Celery application: four queues, routing by task, late acks, JSON only.

Settings live in ``portal.settings.base`` (``CELERY_*``). What this module adds:

- ``PortalTask``, the base class of every task: late acks, redelivery when the worker
  dies mid-task, and retries with exponential backoff and jitter for transient errors
  (a dropped database or broker connection). A task still has to be idempotent: take ids,
  return early when its work is already done.
- Routing by task name, so a caller need not name the queue (an explicit ``queue=`` wins).
- A broker outage never fails a request: when publishing fails, the message is kept in
  the outbox (`portal.models.OutboxMessage`) and the beat task `outbox_republish` sends it
  later. New code should call `portal.services.outbox_enqueue` inside its transaction;
  this fallback covers ``apply_async`` calls made after a commit.
- The beat schedule lives in the database (django-celery-beat). ``CELERY_BEAT_SCHEDULE``
  holds the defaults in code; `sync_beat_schedule` creates the missing entries when beat
  starts (and from ``seed_demo``) and never touches an existing one, so an interval an
  admin changed stays changed.
"""

import logging
import os

from celery import Celery, Task, signals
from django.db.utils import InterfaceError, OperationalError
from kombu import Queue
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

logger = logging.getLogger(__name__)

QUEUES = ("default", "pdf", "signing", "notifications")

# Errors that say "try again later", not "this task is wrong". OSError (which holds
# ConnectionError and TimeoutError) is there for the rest of the I/O a task does: the
# private storage's reads and writes, SMTP (smtplib's errors are OSErrors), a TSA or CRL
# fetch: the rendering, signing and mailing tasks always retried on it.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerOperationalError, OSError)

# Errors of publishing a message: the broker is unreachable or refused it.
PUBLISH_ERRORS = (BrokerOperationalError, ConnectionError, OSError, TimeoutError)


class PortalTask(Task):
    """Base class of the portal's tasks (see the module docstring)."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options):
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)
        try:
            return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)
        except PUBLISH_ERRORS as error:
            # Keep the message instead of failing the caller (often an on-commit hook of a
            # request whose change is already saved): the beat re-publisher sends it later.
            from portal.services.outbox import outbox_keep_unpublished

            queue = options.get("queue") or _route_queue(self.name)
            outbox_keep_unpublished(
                task=self.name,
                args=list(args or []),
                kwargs=dict(kwargs or {}),
                queue=queue,
                error=error,
                chain=options.get("chain"),
            )
            logger.warning("broker unreachable, %s kept in the outbox: %s", self.name, error)
            return None


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]

# Routing by task name; a queue given to apply_async overrides it.
TASK_ROUTES = {
    "portal.tasks.deliver_notification": {"queue": "notifications"},
    "portal.tasks.send_notification_email": {"queue": "notifications"},
    "portal.tasks.deliver_webhook": {"queue": "notifications"},
    "portal.tasks.webhooks_retry_due": {"queue": "notifications"},
    "dossiers.tasks.send_acknowledgement": {"queue": "notifications"},
    "dossiers.tasks.notify_payment_receipt": {"queue": "notifications"},
    "dossiers.tasks.render_*": {"queue": "pdf"},
    # The steps that decrypt a key (or verify signatures) run in the signing worker only.
    "dossiers.tasks.seal_*": {"queue": "signing"},
    "dossiers.tasks.sign_*": {"queue": "signing"},
    "dossiers.tasks.verify_*": {"queue": "signing"},
    "signing.tasks.*": {"queue": "signing"},
}
app.conf.task_routes = (TASK_ROUTES,)
# A request waits at most about a second for an unreachable broker before the message
# goes to the outbox instead.
app.conf.task_publish_retry_policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# The schedule is read from the database; the code defaults reach it through
# `sync_beat_schedule`, so django-celery-beat must not write them over admins' changes.
app.conf.beat_schedule = {}
app.autodiscover_tasks()


def _route_queue(task_name: str) -> str:
    from fnmatch import fnmatchcase

    for pattern, route in TASK_ROUTES.items():
        if fnmatchcase(task_name, pattern):
            return route["queue"]
    return "default"


def sync_beat_schedule() -> list[str]:
    """Create the database entries of ``settings.CELERY_BEAT_SCHEDULE`` that do not exist yet.

    Existing entries (same name) are left as they are: an admin may have changed their
    interval or disabled them. Returns the names created.
    """
    from django.conf import settings
    from django.db import IntegrityError, transaction
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    existing = set(PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).values_list("name", flat=True))
    created = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if name in existing:
            continue
        fields = ModelEntry._unpack_fields(**entry)
        try:
            with transaction.atomic():
                PeriodicTask.objects.create(name=name, **fields)
        except IntegrityError:
            continue  # created meanwhile by another process
        created.append(name)
    return created


@signals.beat_init.connect
def _sync_beat_schedule_at_start(sender=None, **kwargs) -> None:
    try:
        created = sync_beat_schedule()
    except Exception:
        # Beat must still start (e.g. before migrations ran); the next start syncs again.
        logger.exception("could not sync the beat schedule")
        return
    if created:
        logger.info("beat schedule: added %s", ", ".join(created))
