"""Celery tasks of the portal app."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_notification_email(self, notification_id: int) -> bool:
    """Enqueued by `portal.notifications.notify` on commit: mail one notification, once.

    The row is locked while mailing and stamped with ``emailed_at``, so a retry or a
    duplicate delivery of the task sends nothing more. Returns whether a mail was sent.
    """
    from portal.models import Notification

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None or not notification.send_email:
            return False
        user = notification.user
        if not user.is_active or not user.email:
            return False
        body = notification.body
        if notification.url:
            link = notification.url if "://" in notification.url else f"{settings.SITE_URL}{notification.url}"
            body = f"{body}\n\n" + _("Xem chi tiết: %(url)s") % {"url": link}
        EmailMessage(
            subject=f"[{settings.PORTAL_NAME}] {notification.subject}",
            body=body,
            to=[user.email],
        ).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


@shared_task(ignore_result=True)
def ping(key: str) -> None:
    """Liveness probe of the task pipeline: records that a worker ran it (used by tests and operators)."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.set(f"ping:{key[:64]}", timezone.now().isoformat(), timeout=3600)
