"""SMS delivery through a pluggable backend (setting ``NOTIFICATIONS_SMS_BACKEND``).

A backend is a class with ``send(*, phone, text) -> str``: it sends one message and
returns the provider's message id, or raises `SmsError` (any exception counts as a failed
attempt, retried with backoff). This is the interface a real SMS gateway (brandname SMS)
or a Zalo Official Account integration implements; its credentials come from its own
settings. The default backend only logs; tests use `LocmemSmsBackend`, which keeps the
messages in ``portal.notifications.sms.outbox``.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway refused or could not take the message."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    message_id: str


class BaseSmsBackend:
    """Interface of an SMS backend."""

    def send(self, *, phone: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Writes the message to the log instead of sending it (the default)."""

    def send(self, *, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        logger.info("SMS to %s (%s): %s", phone, message_id, text)
        return message_id


# Messages "sent" by LocmemSmsBackend in this process, like django.core.mail.outbox.
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Records the messages in memory (tests)."""

    def send(self, *, phone: str, text: str) -> str:
        message = SmsMessage(phone=phone, text=text, message_id=uuid.uuid4().hex)
        outbox.append(message)
        return message.message_id


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.NOTIFICATIONS_SMS_BACKEND)()
