"""Notifications (thông báo) to portal users: an in-app row, and an email sent once on commit.

Any app calls `notify`; the email goes out from a Celery task on the ``notifications``
queue after the caller's transaction commits, so a rolled-back change never notifies.
The unread count shown in the navigation is cached per user and dropped on every change.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import Notification

_UNREAD_KEY = "notifications:unread:{user_id}"
_UNREAD_TTL = 300


def _forget_unread(user_id: int) -> None:
    cache.delete(_UNREAD_KEY.format(user_id=user_id))


def notify(*, user, subject: str, body: str, url: str = "", dossier_code: str = "", email: bool = True) -> Notification:
    """Record an in-app notification for ``user`` and, on commit, mail it (once)."""
    notification = Notification.objects.create(
        user=user,
        subject=str(subject)[:255],
        body=str(body),
        url=url[:500],
        dossier_code=dossier_code[:48],
        send_email=email,
    )
    user_id, notification_id = user.pk, notification.pk

    def after_commit() -> None:
        _forget_unread(user_id)
        if email:
            from portal import tasks

            tasks.send_notification_email.apply_async(args=[notification_id], queue="notifications")

    transaction.on_commit(after_commit)
    return notification


def notifications_for_user(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user) -> int:
    """Unread notifications of ``user``; cached so the navigation costs no query on most pages."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = _UNREAD_KEY.format(user_id=user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, _UNREAD_TTL)
    return count


def notification_mark_read(*, user, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; None when it is not the user's."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _forget_unread(user.pk)
    return notification


def notifications_mark_all_read(*, user) -> int:
    count = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    _forget_unread(user.pk)
    return count
