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
  admin changed stays changed (`portal.beat`).

This module is imported with the settings (``portal/__init__.py``), before Django's app
registry exists: it imports no model, and nothing of the portal but what needs none.
"""

import logging
import os
from fnmatch import fnmatchcase

from celery import Celery, Task
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
    # A retry waits at most CELERY_TASK_MAX_COUNTDOWN (300 s): the broker's visibility timeout
    # is sized on it (portal.settings.base), so a waiting retry is never handed out twice.
    retry_backoff_max = 300
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
            # The outbox is a model, and this module loads before the app registry (see above).
            from portal.services.outbox import outbox_keep_unpublished  # noqa: PLC0415 - a cycle Django imposes

            queue = options.get("queue") or route_queue(self.name)
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
    "portal.tasks.send_invitation": {"queue": "notifications"},
    "portal.tasks.zalo_oa_reply": {"queue": "notifications"},
    "portal.tasks.deliver_webhook": {"queue": "notifications"},
    "portal.tasks.webhooks_retry_due": {"queue": "notifications"},
    "dossiers.tasks.send_acknowledgement": {"queue": "notifications"},
    "dossiers.tasks.notify_payment_receipt": {"queue": "notifications"},
    "dossiers.petitions.tasks.mail_contact": {"queue": "notifications"},
    "dossiers.tasks.render_*": {"queue": "pdf"},
    # The steps that decrypt a key (or verify signatures) run in the signing worker only.
    "dossiers.tasks.seal_*": {"queue": "signing"},
    "dossiers.tasks.sign_*": {"queue": "signing"},
    "dossiers.tasks.verify_*": {"queue": "signing"},
    "dossiers.tasks.anchor_event_chains": {"queue": "signing"},
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


def route_queue(task_name: str) -> str:
    """The queue ``TASK_ROUTES`` gives a task (``default`` when no route matches)."""
    for pattern, route in TASK_ROUTES.items():
        if fnmatchcase(task_name, pattern):
            return route["queue"]
    return "default"
