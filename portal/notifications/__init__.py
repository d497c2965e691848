"""Notifications (thông báo) to portal users: in-app, email, SMS and Zalo, never lost.

`notify(recipient, event, context)` is the one way to tell a user something:

- it records the in-app notification (the notification centre at /notifications/) and one
  delivery record per channel (`NotificationDelivery`: queued / sent / failed, attempts,
  last error; visible in the admin), all inside the caller's transaction;
- it renders the messages there and then, in the recipient's language (``User.language``)
  from ``templates/notifications/<event>.{subject.txt,txt,html}``, with links made
  absolute with ``settings.SITE_URL``;
- it sends nothing itself: each email/SMS delivery is an outbox message
  (`portal.services.outbox_enqueue`) published on commit to the ``notifications`` queue.
  A rolled-back change notifies nobody; a broker outage delays messages but loses none.
  The task `portal.tasks.deliver_notification` sends each one once and retries failures
  with exponential backoff, then marks the delivery failed.

Zalo (`portal.zalo`, when configured) is opt-in per event: the delivery is the event's ZNS
template (``ZALO_ZNS_TEMPLATES``) and its parameters, to the profile's phone; events without
a template are not sent on Zalo.

Channels follow the user's preferences (/account/notifications/) over the event's
defaults; in-app is always on, and officers can not turn off the events flagged
``mandatory_for_officers`` (deadline alerts). Old callers may still call
``notify(user=..., subject=..., body=..., url=..., dossier_code=..., email=...)``: that is
the generic event ``message``.

Events and the context each needs (besides ``url``, a path on the portal or an absolute
URL; every value a string or number, already in the recipient's language where it is text):

=============================  ======================================================
``message``                    subject, body
``dossier.status_changed``     dossier_code, procedure, status, note (optional)
``dossier.supplement_requested`` dossier_code, procedure, items (list of strings), note (optional)
``dossier.result_ready``       dossier_code, procedure
``dossier.apology``            dossier_code, procedure, reason, new_due
``dossier.assigned``           dossier_code, procedure, due, assigned_by (optional)
``consultation.requested``     dossier_code, procedure, requesting_agency, due
``deadline.due_soon``          dossier_code, procedure, due, step (optional)
``deadline.overdue``           dossier_code, procedure, due, step (optional)
``deadline.escalated``         dossier_code, procedure, due, responsible
``petition.status_changed``   petition_code, status, note (optional)
``petition.due_soon``          petition_code, due
``petition.overdue``           petition_code, due
``digest.daily``               agency, date, received, resolved, due_soon, overdue, waiting
``certificate.expiring``       certificate, expires, days_left
=============================  ======================================================

To add an event: declare it in `portal.notifications.events.EVENTS` (label, audience,
required context, default channels, whether it is mandatory for officers); write its
three templates under ``templates/notifications/`` (extend ``_base.txt``/``_base.html``;
Vietnamese source text in ``{% translate %}``/``{% blocktranslate %}``, English in
locale/en); add it to the table above and to the template tests.
"""

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import zalo
from portal.models import (
    DeliveryStatus,
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
)
from portal.notifications.events import EVENTS, OFFICER, Event, event_get
from portal.notifications.sms import get_sms_backend
from portal.run_cache import run_cached
from portal.services.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

__all__ = [
    "EVENTS",
    "DELIVERY_MAX_ATTEMPTS",
    "absolute_url",
    "delivery_send",
    "message_render",
    "notification_mark_read",
    "notifications_for_user",
    "notifications_mark_all_read",
    "notify",
    "preferences_for_user",
    "preferences_update",
    "unread_count",
]

_UNREAD_KEY = "notifications:unread:{user_id}"
_UNREAD_TTL = 300
# One first try and this many sends in all before a delivery is marked failed.
DELIVERY_MAX_ATTEMPTS = 6
SMS_MAX_LENGTH = 320
OPTIONAL_CHANNELS = (NotificationChannel.EMAIL, NotificationChannel.SMS)


def optional_channels() -> tuple[str, ...]:
    """The channels a user may choose: Zalo only where it is configured (``ZALO_ACCESS_TOKEN``)."""
    return OPTIONAL_CHANNELS + ((NotificationChannel.ZALO,) if zalo.zalo_enabled() else ())


def _forget_unread(user_id: int) -> None:
    cache.delete(_UNREAD_KEY.format(user_id=user_id))


def absolute_url(url: str) -> str:
    """``url`` as a link that works from a mailbox: paths get ``settings.SITE_URL`` in front."""
    if not url:
        return ""
    if url.startswith(("https://", "http://")):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def _one_line(text: str) -> str:
    return " ".join(text.split())


MESSAGE_PARTS = ("subject", "text", "html", "in_app")


def message_render(
    *, event: str, context: dict, language: str, recipient=None, parts: tuple[str, ...] = MESSAGE_PARTS
) -> dict[str, str]:
    """Subject, text, HTML and in-app body of ``event`` in ``language`` (only ``parts``: each is a
    template to render, and an in-app notice alone needs only its subject)."""
    definition = event_get(event)
    values = {
        **context,
        "url": absolute_url(str(context.get("url", ""))),
        "recipient_name": (recipient.get_full_name() if recipient is not None else ""),
        "portal_name": settings.PORTAL_NAME,
        "site_url": settings.SITE_URL,
    }
    base = definition.template_base
    rendered = {}
    with translation.override(language):
        if "subject" in parts:
            rendered["subject"] = _one_line(render_to_string(f"{base}.subject.txt", values))[:255]
        if "text" in parts:
            rendered["text"] = render_to_string(f"{base}.txt", values).strip()
        if "html" in parts:
            rendered["html"] = render_to_string(f"{base}.html", values)
        if "in_app" in parts:
            rendered["in_app"] = render_to_string(f"{base}.txt", {**values, "in_app": True}).strip()
    return rendered


def _is_officer(user) -> bool:
    return user.officer_memberships.filter(is_active=True).exists()


def _wanted_channels(user, definition: Event) -> set[str]:
    channels = set(definition.default_channels) - {NotificationChannel.IN_APP}
    # The same recipient of the same event in one bulk run (``portal.run_cache``): read once.
    choices = run_cached(
        ("notification_preferences", user.pk, definition.name),
        lambda: dict(
            NotificationPreference.objects.filter(user=user, event=definition.name).values_list("channel", "enabled")
        ),
    )
    for channel, enabled in choices.items():
        if enabled:
            channels.add(channel)
        elif not (definition.mandatory_for_officers and channel in definition.default_channels and _is_officer(user)):
            channels.discard(channel)
    return channels


def _phone(user) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "phone", "") or ""


def notify(
    recipient=None,
    event: str | None = None,
    context: dict | None = None,
    *,
    user=None,
    subject: str = "",
    body: str = "",
    url: str = "",
    dossier_code: str = "",
    email: bool = True,
) -> Notification:
    """Tell ``recipient`` about ``event`` (see the module docstring); returns the in-app row.

    Call it inside the transaction of the change it reports: everything it writes commits
    or rolls back with that change, and the messages leave only after the commit.
    The old form ``notify(user=..., subject=..., body=..., url=..., dossier_code=..., email=...)``
    sends the generic event ``message``.
    """
    if recipient is None:
        recipient = user
    if recipient is None:
        raise ValueError("notify() needs a recipient")
    context = dict(context or {})
    legacy = event is None
    if legacy:
        event = "message"
        context = {"subject": str(subject), "body": str(body), "url": url, "dossier_code": dossier_code}
    definition = event_get(event)
    missing = [key for key in definition.context if key not in context]
    if missing:
        raise ValueError(f"notify({event}): missing context {', '.join(missing)}")
    language = recipient.language or settings.LANGUAGE_CODE
    if legacy:
        channels = {NotificationChannel.EMAIL} if email else set()
    else:
        channels = _wanted_channels(recipient, definition)
    wanted = (NotificationChannel.EMAIL in channels and recipient.is_active and recipient.email, not legacy)
    parts = ("subject",) + (("text", "html") if wanted[0] else ()) + (("in_app",) if wanted[1] else ())
    rendered = message_render(event=event, context=context, language=language, recipient=recipient, parts=parts)
    in_app_body = str(body) if legacy else rendered["in_app"]
    notification = Notification.objects.create(
        user=recipient,
        event=event,
        subject=rendered["subject"],
        body=in_app_body,
        url=str(context.get("url", ""))[:500],
        dossier_code=str(context.get("dossier_code", ""))[:48],
        send_email=NotificationChannel.EMAIL in channels,
    )
    now = timezone.now()
    deliveries = [
        NotificationDelivery(
            notification=notification,
            channel=NotificationChannel.IN_APP,
            recipient=recipient.email,
            language=language,
            subject=rendered["subject"],
            status=DeliveryStatus.SENT,
            attempts=1,
            sent_at=now,
        )
    ]
    if recipient.is_active and NotificationChannel.EMAIL in channels and recipient.email:
        deliveries.append(
            NotificationDelivery(
                notification=notification,
                channel=NotificationChannel.EMAIL,
                recipient=recipient.email,
                language=language,
                subject=rendered["subject"],
                body_text=rendered["text"],
                body_html=rendered["html"],
            )
        )
    phone = _phone(recipient) if NotificationChannel.SMS in channels else ""
    if recipient.is_active and phone:
        link = absolute_url(str(context.get("url", "")))
        deliveries.append(
            NotificationDelivery(
                notification=notification,
                channel=NotificationChannel.SMS,
                recipient=phone,
                language=language,
                subject=rendered["subject"],
                body_text=_one_line(f"{rendered['subject']} {link}")[:SMS_MAX_LENGTH],
            )
        )
    zalo_phone = zalo.normalise_phone(_phone(recipient)) if NotificationChannel.ZALO in channels else ""
    template = (
        zalo.zns_template_for(event, context, url=absolute_url(str(context.get("url", ""))))
        if recipient.is_active and zalo_phone and zalo.zalo_enabled()
        else None
    )
    if template is not None:
        # The ZNS template and its parameters are the message; kept as JSON for the task and the admin.
        deliveries.append(
            NotificationDelivery(
                notification=notification,
                channel=NotificationChannel.ZALO,
                recipient=zalo_phone,
                language=language,
                subject=rendered["subject"],
                body_text=json.dumps(template, ensure_ascii=False),
            )
        )
    NotificationDelivery.objects.bulk_create(deliveries)

    for delivery in deliveries:
        if delivery.status == DeliveryStatus.QUEUED:
            outbox_enqueue(task="portal.tasks.deliver_notification", args=[delivery.pk])
    user_id = recipient.pk
    transaction.on_commit(lambda: _forget_unread(user_id))
    return notification


# --- sending (called by the delivery task) --------------------------------------------------


def _send_email(delivery: NotificationDelivery) -> None:
    message = EmailMultiAlternatives(
        subject=f"[{settings.PORTAL_NAME}] {delivery.subject}",
        body=delivery.body_text,
        to=[delivery.recipient],
        headers={"X-Portal-Delivery": str(delivery.pk)},
    )
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    message.send()


def delivery_send(*, delivery_id: int, final: bool = False) -> str:
    """Send one queued delivery; returns "sent", "done" (nothing to do), "retry" or "failed".

    The row stays locked while sending, so a duplicate of the task waits and then finds it
    sent. A failure is recorded with the attempt; on the ``final`` attempt the delivery is
    marked failed, otherwise the caller retries later.
    """
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.QUEUED:
            return "done"
        delivery.attempts += 1
        try:
            if delivery.channel == NotificationChannel.EMAIL:
                _send_email(delivery)
            elif delivery.channel == NotificationChannel.SMS:
                get_sms_backend().send(phone=delivery.recipient, text=delivery.body_text)
            elif delivery.channel == NotificationChannel.ZALO:
                template = json.loads(delivery.body_text)
                delivery.provider_message_id = zalo.zns_send(
                    phone=delivery.recipient,
                    template_id=template["template_id"],
                    template_data=template["template_data"],
                    tracking_id=str(delivery.pk),
                )[:64]
        except Exception as error:  # noqa: BLE001 - any gateway failure is a failed attempt, retried
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if final:
                delivery.status = DeliveryStatus.FAILED
            delivery.save(update_fields=["attempts", "last_error", "status", "updated_at"])
            logger.warning("delivery #%s (%s) failed: %s", delivery.pk, delivery.channel, delivery.last_error)
            return "failed" if final else "retry"
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.save(
            update_fields=["attempts", "last_error", "status", "sent_at", "provider_message_id", "updated_at"]
        )
        if delivery.channel == NotificationChannel.EMAIL:
            Notification.objects.filter(pk=delivery.notification_id).update(emailed_at=delivery.sent_at)
    return "sent"


# --- preferences ------------------------------------------------------------------------------


def events_for_user(user) -> list[Event]:
    """The events ``user`` may receive, for its preferences page (officer events for officers)."""
    officer = _is_officer(user)
    return [e for e in EVENTS.values() if e.name != "message" and (e.audience != OFFICER or officer)]


def preferences_for_user(*, user) -> list[dict]:
    """One row per event: its label and, per optional channel, whether on and whether locked."""
    officer = _is_officer(user)
    saved = {
        (event, channel): enabled
        for event, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "event", "channel", "enabled"
        )
    }
    rows = []
    for event in events_for_user(user):
        channels = []
        for channel in optional_channels():
            locked = officer and event.mandatory_for_officers and channel in event.default_channels
            enabled = True if locked else saved.get((event.name, channel), channel in event.default_channels)
            channels.append({"channel": channel, "field": f"{event.name}:{channel}", "on": enabled, "locked": locked})
        rows.append({"event": event, "channels": channels})
    return rows


@transaction.atomic
def preferences_update(*, user, enabled: set[str], language: str | None = None) -> None:
    """Save ``user``'s choices: ``enabled`` holds ``"<event>:<channel>"`` for each box ticked.

    Locked (mandatory) choices stay on whatever is posted; unknown names are ignored.
    """
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": [_("Ngôn ngữ không hợp lệ.")]}, code="invalid")
        if user.language != language:
            user.language = language
            user.save(update_fields=["language"])
    for row in preferences_for_user(user=user):
        for cell in row["channels"]:
            if cell["locked"]:
                continue
            NotificationPreference.objects.update_or_create(
                user=user,
                event=row["event"].name,
                channel=cell["channel"],
                defaults={"enabled": cell["field"] in enabled},
            )


# --- the notification centre ------------------------------------------------------------------


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
