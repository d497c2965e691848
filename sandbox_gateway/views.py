"""A sandbox payment gateway that speaks the portal's payment protocol from the gateway's side.

Installed only by the dev and test settings (``PAYMENT_SANDBOX``), so that ``make run`` and
the browser tests run the real flow: the portal redirects to the payment page here, the
payer chooses "pay" or "cancel", the sandbox calls the portal's IPN URL server to server
(over HTTP, as a real gateway does), then sends the browser back to the return URL. It
answers ``querydr`` for the reconciliation. Its one merchant is the portal's own
configuration; its transactions live in the cache (shared by every process, never in
process memory), for a day.
"""

import datetime as dt
import json
import logging
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dossiers import gateway

logger = logging.getLogger(__name__)
CACHE_SECONDS = 24 * 3600
BANK_CODE = "NCB"


def _key(reference: str) -> str:
    return f"sandbox-gateway:txn:{reference}"


def _config() -> gateway.GatewayConfig:
    return gateway.GatewayConfig.from_settings()


def transaction_record(*, params: dict, paid: bool, now: dt.datetime | None = None) -> dict:
    """Keep the outcome of an order as the gateway's books would (also used by tests to set a scene)."""
    now = now or timezone.now()
    txn = {
        "vnp_TmnCode": params["vnp_TmnCode"],
        "vnp_TxnRef": params["vnp_TxnRef"],
        "vnp_Amount": params["vnp_Amount"],
        "vnp_OrderInfo": params.get("vnp_OrderInfo", ""),
        "vnp_BankCode": BANK_CODE,
        "vnp_PayDate": gateway.gateway_time(now),
        "vnp_TransactionNo": str(secrets.randbelow(10**8)).zfill(8),
        "vnp_ResponseCode": gateway.RESPONSE_SUCCESS if paid else gateway.RESPONSE_CANCELLED,
        "vnp_TransactionStatus": gateway.TRANSACTION_SUCCESS if paid else "02",
        "vnp_CardType": "ATM",
    }
    cache.set(_key(txn["vnp_TxnRef"]), txn, CACHE_SECONDS)
    return txn


def ipn_url_for(return_url: str) -> str:
    """The merchant's IPN URL: a real gateway has it on file; here, the return URL's site."""
    parts = urlsplit(return_url)
    return f"{parts.scheme}://{parts.netloc}{reverse('dossiers:payment_ipn')}"


def ipn_send(*, return_url: str, result: dict) -> dict | None:
    url = f"{ipn_url_for(return_url)}?{urlencode(result)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the merchant's own site
            return json.loads(response.read(10_000))
    except (urllib.error.URLError, OSError, ValueError):
        logger.warning("sandbox gateway: IPN to %s failed", url, exc_info=True)
        return None


@require_http_methods(["GET", "POST"])
def pay(request):
    """The payment page (GET: the signed order; POST: the payer's choice)."""
    params = {
        k: v for k, v in (request.GET if request.method == "GET" else request.POST).items() if k.startswith("vnp_")
    }
    config = _config()
    if not gateway.verify(params, config.secret) or params.get("vnp_TmnCode") != config.merchant_code:
        return render(request, "sandbox_gateway/error.html", {"message": "Chữ ký không hợp lệ (mã 97)."}, status=400)
    expires = gateway.parse_gateway_time(params.get("vnp_ExpireDate", ""))
    if expires is not None and expires < timezone.now():
        return render(request, "sandbox_gateway/error.html", {"message": "Giao dịch đã hết hạn (mã 11)."}, status=400)
    amount = gateway.from_gateway_amount(params.get("vnp_Amount"))
    if request.method == "GET":
        return render(request, "sandbox_gateway/pay.html", {"params": params, "amount": amount})
    action = request.POST.get("action")
    if action not in ("pay", "cancel", "pay_without_ipn"):
        return HttpResponseBadRequest("action")
    txn = transaction_record(params=params, paid=action != "cancel")
    result = gateway.signed({k: v for k, v in txn.items()}, config.secret)
    if action != "pay_without_ipn":
        ipn_send(return_url=params["vnp_ReturnUrl"], result=result)
    return redirect(f"{params['vnp_ReturnUrl']}?{urlencode(result)}")


@csrf_exempt
@require_POST
def querydr(request):
    """The query API: the state of an order, signed over the pipe-joined fields."""
    config = _config()
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"vnp_ResponseCode": "03", "vnp_Message": "Invalid data format"})
    given = str(body.get("vnp_SecureHash", "")).lower()
    expected = gateway.pipe_hash(body, gateway.QUERY_REQUEST_FIELDS, config.secret)
    if not secrets.compare_digest(given, expected):
        return JsonResponse({"vnp_ResponseCode": "97", "vnp_Message": "Invalid Checksum"})
    txn = cache.get(_key(str(body.get("vnp_TxnRef", ""))))
    answer = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": "querydr",
        "vnp_TmnCode": config.merchant_code,
        "vnp_TxnRef": body.get("vnp_TxnRef", ""),
        "vnp_TransactionType": "01",
    }
    if txn is None:
        answer.update(vnp_ResponseCode=gateway.QUERY_NOT_FOUND, vnp_Message="Transaction not found")
    else:
        answer.update({k: v for k, v in txn.items() if k != "vnp_ResponseCode" and k != "vnp_CardType"})
        answer.update(vnp_ResponseCode="00", vnp_Message="QueryDR Success")
    answer["vnp_SecureHash"] = gateway.pipe_hash(answer, gateway.QUERY_RESPONSE_FIELDS, config.secret)
    return JsonResponse(answer)


app_name = "sandbox_gateway"
urlpatterns = [
    path(gateway.PAY_PATH.lstrip("/"), pay, name="pay"),
    path(gateway.QUERY_PATH.lstrip("/"), querydr, name="querydr"),
]
