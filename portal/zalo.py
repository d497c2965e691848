"""Zalo: template notices through ZNS, their delivery callback, and the Official Account (OA)
tracking chatbot.

What Zalo's platform expects (looked up for this integration; the official pages are on
developers.zalo.me, which the search index this was written from did not hold, so the shapes
below come from the secondary sources named, and must be re-checked against the console when a
real account is set up):

- **ZNS, send a template message**: ``POST https://business.openapi.zalo.me/message/template``,
  header ``access_token: <OA access token>``, JSON body ``{"phone": "84xxxxxxxxx",
  "template_id": "...", "template_data": {<param>: <value>}, "tracking_id": "..."}``. The phone
  is in international form without ``+`` (``0912345678`` → ``84912345678``). The answer is
  ``{"error": 0, "message": "Success", "data": {"msg_id": "...", "sent_time": "...", ...}}``;
  any other ``error`` is a refusal (e.g. -124 invalid access token). Seen in public client code
  (e.g. a TypeScript ZNS adapter posting to business.openapi.zalo.me/message/template with an
  ``access_token`` header) and the eSMS ZNS gateway docs (devesms/gitbook_esms_for_develop).
- **ZNS delivery status**: the app's webhook receives the event ``user_received_message`` with
  ``message.msg_id`` and ``message.delivery_time`` once the notice reached the phone.
- **OA webhook**: every event is a JSON POST to the app's webhook URL with ``app_id``,
  ``event_name`` (``user_send_text`` for a text: ``sender.id``, ``recipient.id``,
  ``message.text``, ``message.msg_id``) and ``timestamp`` (milliseconds, as a string).
  It carries the header ``X-ZEvent-Signature: mac=<hex>`` where
  ``mac = sha256(app_id + raw JSON body + timestamp + OA secret key)`` — a plain SHA-256 of the
  concatenation, not an HMAC, and the OA secret key, not the app secret key. Described in
  "Zalo API – PHP webhook callback Official Account" (https://hainh.me/zalo-api-php-webhook-callback-official-account.html,
  quoting the Zalo developer documentation: "so sánh giá trị trong header X-ZEvent-Signature
  với mã hash SHA256 của chuỗi kết hợp 4 thông tin: ID của ứng dụng, chuỗi JSON trả về trong
  body, timestamp được lấy từ chuỗi JSON, mã bí mật của Official Account"), and implemented
  the same way, with the ``mac=`` prefix, in public webhook handlers — among them Chatwoot's
  (chatwoot/chatwoot, app/jobs/webhooks/zalo_events_job.rb: ``"#{app_id}#{post_body}#{timestamp}
  #{oa_secret_key}"``, SHA-256 hex, compared with ``"mac=#{hash}"``, the timestamp read from the
  body). Zalo's own developer page (developers.zalo.me) was not at hand. The webhook must answer
  200 within 2 seconds (same page), so the bot's answer goes out through the outbox.
- **OA send message (customer-service message)**: ``POST https://openapi.zalo.me/v3.0/oa/message/cs``,
  header ``access_token``, body ``{"recipient": {"user_id": "..."}, "message": {"text": "..."}}``,
  answer ``{"error": 0, "message": "Success", "data": {"message_id": "...", "user_id": "..."}}``.

Everything is off until ``ZALO_ACCESS_TOKEN`` is set; ``ZALO_SANDBOX`` says the endpoints are the
sandbox server (`portal.zalo_sandbox`). Secrets (access token, OA secret key) are never logged.
"""

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.models import NotificationChannel, NotificationDelivery
from portal.services.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_MAX_LENGTH = 2000  # an OA text message is at most 2,000 characters
_PHONE_DIGITS = re.compile(r"[\s.()\-]")


class ZaloError(Exception):
    """Zalo refused the request or could not be reached (a failed attempt, retried)."""


def zalo_enabled() -> bool:
    return bool(getattr(settings, "ZALO_ACCESS_TOKEN", ""))


def normalise_phone(raw: str) -> str:
    """A Vietnamese phone number as ZNS wants it (``84`` and nine digits); empty when it is not one.

    ``0912 345 678``, ``+84912345678`` and ``84912345678`` all give ``84912345678``.
    """
    phone = _PHONE_DIGITS.sub("", str(raw or ""))
    if phone.startswith("+"):
        phone = phone[1:]
    if phone.startswith("0"):
        phone = "84" + phone[1:]
    return phone if re.fullmatch(r"84\d{9}", phone) else ""


# --- the platform's signature --------------------------------------------------------------------


def signature(*, app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The ``X-ZEvent-Signature`` value of ``body``: ``mac=`` sha256(app_id + body + timestamp + secret)."""
    digest = hashlib.sha256(app_id.encode() + body + str(timestamp).encode() + secret.encode()).hexdigest()
    return f"mac={digest}"


def signature_valid(*, body: bytes, timestamp: str, header: str) -> bool:
    secret = getattr(settings, "ZALO_OA_SECRET_KEY", "")
    app_id = getattr(settings, "ZALO_APP_ID", "")
    if not secret or not app_id or not header:
        return False
    expected = signature(app_id=app_id, body=body, timestamp=timestamp, secret=secret)
    supplied = header.strip()
    if not supplied.lower().startswith("mac="):
        supplied = "mac=" + supplied
    return hmac.compare_digest(expected.encode(), supplied.encode())


def timestamp_fresh(timestamp: str, *, now: float | None = None) -> bool:
    """True when ``timestamp`` (milliseconds) is within ``ZALO_WEBHOOK_MAX_AGE`` seconds of now."""
    try:
        sent = int(str(timestamp)) / 1000
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    return abs(now - sent) <= settings.ZALO_WEBHOOK_MAX_AGE


# --- calls to Zalo -----------------------------------------------------------------------------------


def _post(url: str, payload: dict) -> dict:
    try:
        answer = requests.post(
            url,
            json=payload,
            headers={"access_token": settings.ZALO_ACCESS_TOKEN, "Content-Type": "application/json"},
            timeout=settings.ZALO_TIMEOUT,
        )
    except requests.RequestException as error:
        raise ZaloError(f"{type(error).__name__}") from None
    try:
        data = answer.json()
    except ValueError:
        raise ZaloError(f"HTTP {answer.status_code}: not JSON") from None
    if not isinstance(data, dict) or data.get("error") != 0:
        code = data.get("error") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else ""
        raise ZaloError(f"HTTP {answer.status_code}, error {code}: {str(message)[:200]}")
    return data


def zns_send(*, phone: str, template_id: str, template_data: dict, tracking_id: str) -> str:
    """Send one ZNS template message; returns Zalo's ``msg_id``."""
    data = _post(
        settings.ZALO_ZNS_URL,
        {"phone": phone, "template_id": template_id, "template_data": template_data, "tracking_id": tracking_id},
    )
    msg_id = str((data.get("data") or {}).get("msg_id") or "")
    if not msg_id:
        raise ZaloError("no msg_id in the answer")
    return msg_id


def oa_send_text(*, user_id: str, text: str) -> str:
    """Send a customer-service text from the OA to ``user_id``; returns Zalo's message id."""
    data = _post(
        settings.ZALO_OA_MESSAGE_URL,
        {"recipient": {"user_id": user_id}, "message": {"text": text[:TEXT_MAX_LENGTH]}},
    )
    return str((data.get("data") or {}).get("message_id") or "")


# --- ZNS template per notice event ------------------------------------------------------------------


def zns_template_for(event: str, context: dict, *, url: str) -> dict | None:
    """``{"template_id", "template_data"}`` for ``event`` from ``ZALO_ZNS_TEMPLATES``; None when the
    event has no approved template (the notice then goes out on its other channels only)."""
    entry = (getattr(settings, "ZALO_ZNS_TEMPLATES", {}) or {}).get(event) or {}
    template_id = str(entry.get("template_id") or "")
    if not template_id:
        return None
    values = {**context, "url": url}
    data = {param: str(values.get(key, ""))[:200] for param, key in (entry.get("params") or {}).items()}
    return {"template_id": template_id, "template_data": data}


def delivery_callback(*, msg_id: str, delivered_time) -> bool:
    """Record that the ZNS message ``msg_id`` reached the phone; True when a delivery has that id.

    Idempotent: a repeated callback keeps the first time."""
    when = timezone.now()
    try:
        when = datetime.fromtimestamp(int(str(delivered_time)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    deliveries = NotificationDelivery.objects.filter(channel=NotificationChannel.ZALO, provider_message_id=msg_id)
    if not deliveries.exists():
        return False
    deliveries.filter(delivered_at__isnull=True).update(delivered_at=when, updated_at=timezone.now())
    return True


# --- the OA chatbot (its answers: `dossiers.tracking.zalo_answer`) -----------------------------------------------------------------------------------


def chatbot_reply_enqueue(*, sender_id: str, text: str) -> None:
    """Send ``text`` to ``sender_id`` from the OA through the outbox (after the caller's commit)."""
    outbox_enqueue(task="portal.tasks.zalo_oa_reply", args=[uuid.uuid4().hex, sender_id, text], queue="notifications")


def chatbot_reply_send(*, reply_id: str, sender_id: str, text: str) -> str:
    """Send one OA reply once (a duplicated task finds its id taken); "sent" or "done"."""
    if not cache.add(f"zalo-oa-reply:{reply_id}", 1, 86400):
        return "done"
    try:
        oa_send_text(user_id=sender_id, text=text)
    except Exception:
        cache.delete(f"zalo-oa-reply:{reply_id}")
        raise
    return "sent"


def payload_text(payload: dict) -> tuple[str, str] | None:
    """(sender id, text) of a ``user_send_text`` event; None when a field is missing."""
    sender = payload.get("sender")
    message = payload.get("message")
    if not isinstance(sender, dict) or not isinstance(message, dict):
        return None
    sender_id, text = sender.get("id"), message.get("text")
    if not isinstance(sender_id, str | int) or not str(sender_id) or not isinstance(text, str):
        return None
    return str(sender_id)[:64], text[:500]


def dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
