"""Webhooks (writes): subscriptions, their deliveries and each signed attempt.

A subscription belongs to a user (an integration account) and, optionally, to one of its
organisations; it hears of the dossiers of that organisation, or else of the user's own.
Each delivery is POSTed as JSON with ``X-Portal-Timestamp`` (Unix seconds) and
``X-Portal-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
subscription's secret (shown once, at creation). A failed attempt is tried again with
exponential backoff (`delivery_next_delay`) until ``WEBHOOK_RETRY_WINDOW`` after the event.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

from portal.models import (
    ApiToken,
    DeliveryState,
    OrganisationMembership,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
WEBHOOK_RETRY_WINDOW = timedelta(hours=24)
WEBHOOK_FIRST_DELAY = 60  # seconds; doubled after each failure
WEBHOOK_MAX_DELAY = 6 * 3600
WEBHOOK_MAX_SUBSCRIPTIONS = 20
USER_AGENT = "CongDichVuCong-Webhooks/1.0"


# IPv6 ranges that carry an IPv4 address inside (RFC 4291 mapped, RFC 3056 6to4, RFC 4380
# Teredo, RFC 6052 and RFC 8215 NAT64): an address in one of them is judged by the IPv4 it
# reaches as well. The local-use NAT64 prefix reaches networks of the operator's choosing.
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
# Not global, whatever the Python version's own tables say: shared address space (CGNAT) and
# the IETF protocol assignments.
_IPV4_REFUSED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("192.0.0.0/24"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:  # (server, client), the client already de-obfuscated
        embedded.extend(address.teredo)
    if address in _NAT64_WELL_KNOWN:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def webhook_address_allowed(address: IPAddress) -> bool:
    """Whether a webhook may connect to ``address``: a public unicast address, and, for an IPv6
    address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64), a public IPv4 inside too."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL_USE:
            return False
        embedded = _embedded_ipv4(address)
        if address.ipv4_mapped or address in _NAT64_WELL_KNOWN:
            # Only a carrier (in ::/8, reserved as such): the IPv4 address inside is the peer.
            return webhook_address_allowed(embedded[0])
        if not all(webhook_address_allowed(inner) for inner in embedded):
            return False
    elif any(address in network for network in _IPV4_REFUSED):
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def host_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the one resolver of webhooks; tests swap it)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL and the address it was checked at, which delivery connects to."""

    url: str
    address: IPAddress

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name (the name goes in Host)."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def webhook_target(url: str) -> WebhookTarget:
    """The URL, resolved once, if a webhook may be sent there; ``ValidationError`` on ``url``.

    https only (unless ``WEBHOOK_REQUIRE_HTTPS`` is off: dev and test); the host is resolved
    and every address it has must be public (unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``).
    Checked at subscription and before every attempt, which connects to the address checked
    here, so that a second DNS answer (rebinding) cannot send it elsewhere.
    """
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": [_("Địa chỉ nhận webhook không phải là URL hợp lệ.")]}) from None
    parts = urlsplit(url)
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise ValidationError({"url": [_("Địa chỉ nhận webhook phải dùng https.")]})
    if parts.username or parts.password:
        raise ValidationError({"url": [_("Địa chỉ nhận webhook không được chứa tên đăng nhập hoặc mật khẩu.")]})
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in host_addresses(parts.hostname, port)]
    except (OSError, UnicodeError, ValueError):
        raise ValidationError({"url": [_("Không phân giải được tên máy chủ của địa chỉ nhận webhook.")]}) from None
    if not addresses:
        raise ValidationError({"url": [_("Không phân giải được tên máy chủ của địa chỉ nhận webhook.")]})
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not all(map(webhook_address_allowed, addresses)):
        raise ValidationError(
            {"url": [_("Địa chỉ nhận webhook không được trỏ tới mạng nội bộ, loopback hoặc link-local.")]}
        )
    return WebhookTarget(url=url, address=addresses[0])


def webhook_url_check(url: str) -> str:
    """The URL, if a webhook may be sent there (see `webhook_target`)."""
    return webhook_target(url).url


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to an address while TLS keeps the host name: SNI and certificate checks use it."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def webhook_post(*, target: WebhookTarget, body: bytes, headers: dict) -> requests.Response:
    """POST ``body`` to the address ``target`` was checked at, with its own Host header."""
    parts = urlsplit(target.url)
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment: the checked address is the peer
        session.mount("https://", _PinnedHostAdapter(parts.hostname))
        return session.post(
            target.connect_url(),
            data=body,
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_redirects=False,
            verify=settings.WEBHOOK_CA_BUNDLE or True,
            headers={**headers, "Host": parts.netloc},
        )


def _events_clean(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": [_("Hãy chọn ít nhất một sự kiện.")]})
    unknown = [str(e)[:40] for e in events if e not in WebhookEvent.values]
    if unknown:
        raise ValidationError({"events": [_("Sự kiện không hợp lệ: %s") % ", ".join(unknown)]})
    return sorted(set(events))


def webhook_subscription_create(
    *,
    user: User,
    url: str,
    events: list[str],
    description: str = "",
    organisation_id: int | None = None,
    token: ApiToken | None = None,
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url``; return the subscription and its secret, never shown again.

    A token owned by an organisation subscribes for that organisation; otherwise
    ``organisation_id`` names one of the user's organisations, or none (the user's dossiers).
    """
    if token is not None and token.organisation_id:
        if organisation_id not in (None, token.organisation_id):
            raise PermissionDenied(_("Mã truy cập của tổ chức chỉ đăng ký webhook cho chính tổ chức đó."))
        organisation_id = token.organisation_id
    if (
        organisation_id is not None
        and not OrganisationMembership.objects.filter(user=user, organisation_id=organisation_id).exists()
    ):
        raise ValidationError({"organisation": [_("Bạn không phải thành viên của tổ chức này.")]})
    events = _events_clean(events)
    url = webhook_url_check(url)
    if WebhookSubscription.objects.filter(owner=user, is_active=True).count() >= WEBHOOK_MAX_SUBSCRIPTIONS:
        raise ValidationError(
            {"url": [_("Mỗi tài khoản có tối đa %(n)d đăng ký webhook.") % {"n": WEBHOOK_MAX_SUBSCRIPTIONS}]}
        )
    secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        owner=user,
        organisation_id=organisation_id,
        url=url,
        events=events,
        description=(description or "").strip()[:255],
        secret=secret,
    )
    return subscription, secret


def webhook_subscription_delete(*, user: User, subscription_id: int) -> None:
    deleted, _rows = WebhookSubscription.objects.filter(pk=subscription_id, owner=user).delete()
    if not deleted:
        raise PermissionDenied(_("Không tìm thấy đăng ký webhook này."))


def webhook_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_events_for(*, action: str, from_state: str, to_state: str) -> list[str]:
    """The webhook events a dossier event raises."""
    kinds = []
    if to_state and to_state != from_state:
        kinds.append(WebhookEvent.DOSSIER_STATUS_CHANGED)
    if action == "request_supplement" or (to_state == "supplement_requested" and to_state != from_state):
        kinds.append(WebhookEvent.DOSSIER_SUPPLEMENT_REQUESTED)
    if to_state == "resolved" and from_state != "resolved":
        kinds.append(WebhookEvent.DOSSIER_RESULT_ISSUED)
    if action == "payment_received":
        kinds.append(WebhookEvent.PAYMENT_SETTLED)
    return kinds


_SUBSCRIBERS_KEY = "webhooks:subscribers"


def webhook_subscribers() -> frozenset:
    """Who has an active subscription: ``("org", id)`` and ``("user", id)`` pairs, cached until a
    subscription is saved or deleted (`webhook_subscribers_changed`). Every dossier event asks,
    and almost none has a listener: the answer should not cost a query."""
    subscribers = cache.get(_SUBSCRIBERS_KEY)
    if subscribers is None:
        subscribers = frozenset(
            ("org", org_id) if org_id else ("user", owner_id)
            for owner_id, org_id in WebhookSubscription.objects.filter(is_active=True).values_list(
                "owner_id", "organisation_id"
            )
        )
        cache.set(_SUBSCRIBERS_KEY, subscribers, 3600)
    return subscribers


def webhook_subscribers_changed(**_kwargs) -> None:
    cache.delete(_SUBSCRIBERS_KEY)


def webhook_has_subscribers(*, applicant_id: int | None, organisation_id: int | None) -> bool:
    """Whether `webhook_deliveries_create` could find a subscription for this dossier."""
    if organisation_id:
        return ("org", organisation_id) in webhook_subscribers()
    return bool(applicant_id) and ("user", applicant_id) in webhook_subscribers()


def webhook_deliveries_create(
    *, source: str, kinds: list[str], data: dict, applicant_id: int | None, organisation_id: int | None
) -> list[int]:
    """One delivery per matching active subscription and event kind (once per ``source``)."""
    if not kinds:
        return []
    subscriptions = WebhookSubscription.objects.filter(is_active=True)
    if organisation_id:
        subscriptions = subscriptions.filter(organisation_id=organisation_id)
    elif applicant_id:
        subscriptions = subscriptions.filter(owner_id=applicant_id, organisation__isnull=True)
    else:
        return []
    now = timezone.now()
    ids = []
    for subscription in subscriptions:
        for kind in kinds:
            if kind not in subscription.events:
                continue
            delivery = WebhookDelivery(
                subscription=subscription, event=kind, source=source, created_at=now, next_attempt_at=now
            )
            delivery.payload = {
                "id": str(delivery.event_id),
                "type": kind,
                "created_at": now.isoformat(),
                "data": data,
            }
            try:
                with transaction.atomic():
                    delivery.save()
            except IntegrityError:  # this source event was already turned into deliveries
                continue
            ids.append(delivery.pk)
    return ids


def delivery_next_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 60, 120, 240… capped at 6 hours."""
    return min(WEBHOOK_FIRST_DELAY * 2 ** max(attempts - 1, 0), WEBHOOK_MAX_DELAY)


def webhook_delivery_attempt(*, delivery_id: int, now=None) -> str:
    """Send one delivery once; return its state. Does nothing to a finished delivery."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.state in (DeliveryState.SUCCEEDED, DeliveryState.FAILED):
            return delivery.state
        subscription = delivery.subscription
        now = now or timezone.now()
        body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(now.timestamp())
        status_code, error = None, ""
        started = time.monotonic()
        try:
            response = webhook_post(
                target=webhook_target(subscription.url),
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "X-Portal-Event": delivery.event,
                    "X-Portal-Delivery": str(delivery.event_id),
                    "X-Portal-Timestamp": str(timestamp),
                    "X-Portal-Signature": webhook_sign(secret=subscription.secret, timestamp=timestamp, body=body),
                },
            )
            status_code = response.status_code
        except ValidationError as exc:
            error = " ".join(exc.messages)[:500]
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.SUCCEEDED, now, None
        else:
            next_at = now + timedelta(seconds=delivery_next_delay(delivery.attempts))
            if next_at > delivery.created_at + WEBHOOK_RETRY_WINDOW or not subscription.is_active:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            else:
                delivery.state, delivery.next_attempt_at = DeliveryState.RETRYING, next_at
        delivery.save(update_fields=["attempts", "last_status_code", "state", "delivered_at", "next_attempt_at"])
        return delivery.state


def webhook_delivery_replay(*, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again from the admin (retried further only within its 24-hour window)."""
    WebhookDelivery.objects.filter(pk=delivery_id).update(state=DeliveryState.PENDING, next_attempt_at=timezone.now())
    return WebhookDelivery.objects.get(pk=delivery_id)


def webhook_deliveries_due(*, now=None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.RETRYING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
