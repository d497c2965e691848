"""Celery tasks of the portal app: notification deliveries, the outbox re-publisher, probes.

Every task takes ids and returns early when its work is already done, so a redelivered
or duplicated message changes nothing (see `portal.celery` for retries and acks).
"""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.core.cache import cache
from django.utils import timezone

from portal import zalo
from portal.models import NotificationChannel, NotificationDelivery
from portal.notifications import DELIVERY_MAX_ATTEMPTS, delivery_send
from portal.services.national_sync import sync_record_push, sync_records_due
from portal.services.organisations import organisation_invitation_send
from portal.services.outbox import outbox_publish_pending, outbox_purge_published
from portal.services.webhooks import webhook_deliveries_due, webhook_delivery_attempt

# Seconds of the first retry of a failed delivery; each next one waits about twice as long.
DELIVERY_BACKOFF_FACTOR = 30
# At most CELERY_TASK_MAX_COUNTDOWN: a countdown longer than the broker's visibility timeout
# would be handed to a second worker while the first still holds it.
DELIVERY_BACKOFF_MAX = 300


@shared_task(bind=True)
def deliver_notification(self, delivery_id: int) -> str:
    """Published from the outbox when a `notify` commits: send one email or SMS, once.

    A failed send is retried with exponential backoff and jitter; after the last attempt
    the delivery is marked failed with its error (visible in the admin).
    """
    final = self.request.retries >= DELIVERY_MAX_ATTEMPTS - 1
    outcome = delivery_send(delivery_id=delivery_id, final=final)
    if outcome == "retry":
        countdown = get_exponential_backoff_interval(
            factor=DELIVERY_BACKOFF_FACTOR,
            retries=self.request.retries,
            maximum=DELIVERY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(countdown=countdown, max_retries=DELIVERY_MAX_ATTEMPTS - 1)
    return outcome


@shared_task(bind=True)
def zalo_oa_reply(self, reply_id: str, sender_id: str, text: str) -> str:
    """Published from the outbox when the Zalo chatbot answers: send the OA message once,
    retried with backoff while Zalo cannot take it."""
    try:
        return zalo.chatbot_reply_send(reply_id=reply_id, sender_id=sender_id, text=text)
    except zalo.ZaloError as error:
        countdown = get_exponential_backoff_interval(
            factor=DELIVERY_BACKOFF_FACTOR, retries=self.request.retries, maximum=DELIVERY_BACKOFF_MAX, full_jitter=True
        )
        raise self.retry(exc=error, countdown=countdown, max_retries=DELIVERY_MAX_ATTEMPTS - 1) from None


@shared_task
def send_invitation(invitation_id: int, send: int, language: str = "vi") -> str:
    """Published from the outbox when an organisation's owner invites someone (or invites again):
    send that round's e-mail once. SMTP failures are retried by the base task's policy."""
    return organisation_invitation_send(invitation_id=invitation_id, send=send, language=language)


@shared_task
def send_notification_email(notification_id: int) -> bool:
    """Kept for messages queued before deliveries existed: send the notification's email delivery."""
    delivery = NotificationDelivery.objects.filter(
        notification_id=notification_id, channel=NotificationChannel.EMAIL
    ).first()
    return delivery is not None and delivery_send(delivery_id=delivery.pk) == "sent"


@shared_task(ignore_result=True)
def outbox_republish() -> int:
    """Beat, every minute: publish the outbox messages whose on-commit publish failed."""
    return outbox_publish_pending()


@shared_task(ignore_result=True)
def outbox_purge() -> int:
    """Beat, daily: delete outbox messages published more than 30 days ago."""
    return outbox_purge_published()


@shared_task(ignore_result=True)
def ping(key: str) -> None:
    """Liveness probe of the task pipeline: records that a worker ran it (used by tests and operators)."""
    cache.set(f"ping:{key[:64]}", timezone.now().isoformat(), timeout=3600)


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """Enqueued when a dossier event matches a subscription (and by the retry sweep): one
    signed attempt. A failure sets the next attempt time; `webhooks_retry_due` picks it up."""
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhooks_retry_due() -> int:
    """Every minute (beat): enqueue the webhook deliveries whose next attempt is due.

    Retries go through the database rather than countdowns, so an attempt 6 hours away
    survives worker restarts and the broker's visibility timeout."""
    due = webhook_deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(ignore_result=True)
def national_sync_push(record_id: int) -> str:
    """Enqueued on each status change while NATIONAL_SYNC_URL is set: push one sync message."""
    return sync_record_push(record_id=record_id)


@shared_task(ignore_result=True)
def national_sync_retry_due() -> int:
    """Every minute (beat): enqueue the national-portal sync records whose next push is due."""
    due = sync_records_due()
    for record_id in due:
        national_sync_push.delay(record_id)
    return len(due)
