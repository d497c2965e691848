"""The portal's signal receivers, connected once by ``PortalConfig.ready``:

- `portal.signals.dossier_event_recorded`: dossier events become webhook deliveries and
  national-portal sync records in the event's own transaction, their sending in the outbox;
- a webhook subscription saved or deleted clears the cached list of subscribers;
- Celery's ``task_success``: the task that carried out an outbox message marks it done;
- Celery's ``beat_init``: beat adds the default periodic tasks missing from the database;
- allauth's ``authenticator_added``: setting up TOTP counts as passing it (`portal.second_factor`).
"""

import logging

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from celery import signals as celery_signals
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal import metrics, request_id, tasks  # noqa: F401 - metrics and request_id connect Celery signals
from portal.beat import sync_beat_schedule
from portal.models import WebhookSubscription
from portal.second_factor import session_record_totp_activated
from portal.services import national_sync, webhooks
from portal.services.outbox import outbox_enqueue, outbox_mark_done, outbox_message_of
from portal.signals import dossier_event_recorded

logger = logging.getLogger(__name__)


def _webhook_data(event, dossier) -> dict:
    data = {
        "dossier": {
            "code": dossier.code,
            "status": dossier.state,
            "status_code": dossier.status_code,
            "previous_status": event.from_state,
            "procedure": dossier.procedure.code,
            "agency": dossier.receiving_agency.code,
            "received_at": dossier.received_at.isoformat() if dossier.received_at else None,
            "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        },
        "action": event.action,
        "event_seq": event.seq,
        "occurred_at": event.created_at.isoformat(),
    }
    if event.action == "payment_received" and isinstance(event.payload, dict) and "amount" in event.payload:
        data["payment"] = {"amount": event.payload["amount"]}
    return data


@receiver(dossier_event_recorded, dispatch_uid="portal.integrations")
def dossier_event_to_integrations(sender, *, event_id, dossier_id, action, from_state, to_state, **kwargs):
    kinds = webhooks.webhook_events_for(action=action, from_state=from_state, to_state=to_state)
    if kinds and "applicant_id" in kwargs:
        # Most dossiers have no listener: then there is nothing to read (see webhook_subscribers).
        if not webhooks.webhook_has_subscribers(
            applicant_id=kwargs["applicant_id"], organisation_id=kwargs.get("organisation_id")
        ):
            kinds = []
    status_changed = bool(to_state) and to_state != from_state
    sync = status_changed and national_sync.national_sync_enabled()
    if not kinds and not sync:
        return
    # `sender` is the event model: read it fresh, with the dossier as committed.
    event = (
        sender.objects.select_related(
            "dossier__procedure__sector", "dossier__procedure_version", "dossier__receiving_agency"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None or not event.dossier.code:
        return
    dossier = event.dossier
    source = f"event:{event.pk}"
    delivery_ids = webhooks.webhook_deliveries_create(
        source=source,
        kinds=kinds,
        data=_webhook_data(event, dossier),
        applicant_id=dossier.applicant_id,
        organisation_id=dossier.organisation_id,
    )
    for delivery_id in delivery_ids:
        outbox_enqueue(task="portal.tasks.deliver_webhook", args=[delivery_id])
    if sync:
        record = national_sync.sync_record_create(dossier=dossier, source=source)
        if record is not None:
            outbox_enqueue(task="portal.tasks.national_sync_push", args=[record.pk])


for _signal in (post_save, post_delete):
    _signal.connect(
        webhooks.webhook_subscribers_changed, sender=WebhookSubscription, dispatch_uid=f"webhooks-{_signal}"
    )


@celery_signals.task_success.connect
def outbox_message_done(sender=None, **kwargs) -> None:
    # Only the last task of an outbox message runs under an id naming its row.
    message_id = outbox_message_of(getattr(getattr(sender, "request", None), "id", None))
    if message_id is not None:
        outbox_mark_done(message_id=message_id)


@celery_signals.beat_init.connect
def sync_beat_schedule_at_start(sender=None, **kwargs) -> None:
    try:
        created = sync_beat_schedule()
    except Exception:
        # Beat must still start (e.g. before migrations ran); the next start syncs again.
        logger.exception("could not sync the beat schedule")
        return
    if created:
        logger.info("beat schedule: added %s", ", ".join(created))


@receiver(mfa_signals.authenticator_added)
def totp_activated(sender, request, user, authenticator, **kwargs):
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        session_record_totp_activated(request, authenticator)
