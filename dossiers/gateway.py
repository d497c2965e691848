"""The payment gateway interface and its one real protocol: VNPay-style redirect and IPN (version 2.1.0).

The portal (merchant) signs the order's ``vnp_*`` parameters with HMAC-SHA512 over the
sorted, URL-encoded query string and the merchant secret, and redirects the applicant's
browser to the gateway. The gateway sends the result twice, signed the same way: to the
return URL through the browser (display only, never trusted to settle) and server to
server to the IPN URL, which the portal answers with a JSON ``RspCode``. The query API
(``querydr``) asks the gateway about an order when no IPN came; its request and answer are
signed over the pipe-joined field values, as the protocol defines.

Nothing here touches the database: services call it, tests run it against known vectors,
and the sandbox gateway (dev and test only) uses the same functions from the other side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode
from zoneinfo import ZoneInfo

from django.conf import settings

VERSION = "2.1.0"
GATEWAY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"
PAY_PATH = "/paymentv2/vpcpay.html"
QUERY_PATH = "/merchant_webapi/api/transaction"
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
QUERY_TIMEOUT_SECONDS = 10
# A payment page stays valid this long; the reconciliation starts after it.
PAYMENT_EXPIRY_MINUTES = 15

# Answers of the IPN URL, as the protocol defines them.
RSP_OK = "00"
RSP_ORDER_NOT_FOUND = "01"
RSP_ALREADY_CONFIRMED = "02"
RSP_INVALID_AMOUNT = "04"
RSP_INVALID_SIGNATURE = "97"
RSP_OTHER = "99"
RSP_MESSAGES = {
    RSP_OK: "Confirm Success",
    RSP_ORDER_NOT_FOUND: "Order not found",
    RSP_ALREADY_CONFIRMED: "Order already confirmed",
    RSP_INVALID_AMOUNT: "Invalid amount",
    RSP_INVALID_SIGNATURE: "Invalid signature",
    RSP_OTHER: "Unknown error",
}
# The gateway's codes for the payment itself.
RESPONSE_SUCCESS = "00"
RESPONSE_CANCELLED = "24"
TRANSACTION_SUCCESS = "00"
QUERY_NOT_FOUND = "91"


class GatewayUnavailable(Exception):
    """The gateway could not be reached or answered nonsense; the caller retries later."""


def canonical_query(params: dict) -> str:
    """The signed string: non-empty ``vnp_*`` parameters but the hash, sorted by name, URL-encoded."""
    pairs = sorted(
        (k, str(v)) for k, v in params.items() if k.startswith("vnp_") and k not in HASH_FIELDS and v not in ("", None)
    )
    return urlencode(pairs, quote_via=quote_plus)


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(params: dict, secret: str) -> str:
    return hmac_sha512(secret, canonical_query(params))


def verify(params: dict, secret: str) -> bool:
    """Whether ``vnp_SecureHash`` matches the other parameters (constant-time, case-insensitive)."""
    given = str(params.get("vnp_SecureHash", "")).lower()
    return bool(given) and hmac.compare_digest(given, sign(params, secret))


def signed(params: dict, secret: str) -> dict:
    return {**params, "vnp_SecureHash": sign(params, secret)}


def gateway_time(moment: dt.datetime) -> str:
    return moment.astimezone(GATEWAY_TZ).strftime(DATE_FORMAT)


def parse_gateway_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, DATE_FORMAT).replace(tzinfo=GATEWAY_TZ)
    except (TypeError, ValueError):
        return None


def to_gateway_amount(amount_vnd: int) -> str:
    """The protocol counts in hundredths of a đồng."""
    return str(int(amount_vnd) * 100)


def from_gateway_amount(value) -> int | None:
    try:
        hundredths = int(str(value))
    except (TypeError, ValueError):
        return None
    if hundredths < 0 or hundredths % 100:
        return None
    return hundredths // 100


@dataclass(frozen=True)
class GatewayConfig:
    merchant_code: str
    secret: str
    url: str

    @classmethod
    def from_settings(cls) -> GatewayConfig:
        return cls(
            merchant_code=settings.PAYMENT_MERCHANT_CODE,
            secret=settings.PAYMENT_SECRET,
            url=settings.PAYMENT_GATEWAY_URL.rstrip("/"),
        )


def payment_url(
    *,
    config: GatewayConfig,
    reference: str,
    amount: int,
    order_info: str,
    return_url: str,
    client_ip: str,
    created_at: dt.datetime,
    locale: str = "vn",
) -> str:
    """The gateway's payment page for the order, with the signed query string."""
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": config.merchant_code,
        "vnp_Amount": to_gateway_amount(amount),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": reference,
        "vnp_OrderInfo": order_info,
        "vnp_OrderType": "other",
        "vnp_Locale": locale,
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": client_ip or "127.0.0.1",
        "vnp_CreateDate": gateway_time(created_at),
        "vnp_ExpireDate": gateway_time(created_at + dt.timedelta(minutes=PAYMENT_EXPIRY_MINUTES)),
    }
    query = canonical_query(params)
    return f"{config.url}{PAY_PATH}?{query}&vnp_SecureHash={hmac_sha512(config.secret, query)}"


QUERY_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)


def pipe_hash(params: dict, fields: tuple[str, ...], secret: str) -> str:
    return hmac_sha512(secret, "|".join(str(params.get(f, "")) for f in fields))


def query_request(*, config: GatewayConfig, reference: str, transaction_date: dt.datetime, now: dt.datetime) -> dict:
    body = {
        "vnp_RequestId": secrets.token_hex(16),
        "vnp_Version": VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": config.merchant_code,
        "vnp_TxnRef": reference,
        "vnp_TransactionDate": gateway_time(transaction_date),
        "vnp_CreateDate": gateway_time(now),
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": f"Tra cuu giao dich {reference}",
    }
    body["vnp_SecureHash"] = pipe_hash(body, QUERY_REQUEST_FIELDS, config.secret)
    return body


def query_response_valid(body: dict, secret: str) -> bool:
    given = str(body.get("vnp_SecureHash", "")).lower()
    return bool(given) and hmac.compare_digest(given, pipe_hash(body, QUERY_RESPONSE_FIELDS, secret))


def query(*, config: GatewayConfig, reference: str, transaction_date: dt.datetime, now: dt.datetime) -> dict:
    """Ask the gateway about an order (``querydr``). Raises ``GatewayUnavailable`` on any transport fault."""
    body = json.dumps(query_request(config=config, reference=reference, transaction_date=transaction_date, now=now))
    request = urllib.request.Request(  # noqa: S310 - the URL is the configured gateway's, https in production
        f"{config.url}{QUERY_PATH}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=QUERY_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read(1_000_000))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise GatewayUnavailable(str(error)[:200]) from error
    if not isinstance(answer, dict):
        raise GatewayUnavailable("answer is not a JSON object")
    return answer
