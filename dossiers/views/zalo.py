"""The Zalo webhook (``/zalo/webhook/``): ZNS delivery callbacks and the OA tracking chatbot.

Zalo posts every event of the app to one URL. A call is taken only when its
``X-ZEvent-Signature`` is right (`portal.zalo.signature_valid`) and its timestamp is within
``ZALO_WEBHOOK_MAX_AGE`` of now; otherwise 403 and nothing happens. Malformed JSON or a
missing field is a 400. The chatbot's answer is sent by a task through the outbox, so the
webhook answers at once (Zalo wants 200 within two seconds).
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dossiers import tracking
from portal import zalo

logger = logging.getLogger(__name__)


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": status, "message": message}, status=status)


@csrf_exempt
@require_POST
def zalo_webhook(request):
    if not settings.ZALO_OA_SECRET_KEY or not settings.ZALO_APP_ID:
        raise Http404
    raw = request.body
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested thousands deep
        return _refuse(400, _("Dữ liệu gửi lên không phải JSON hợp lệ."))
    if not isinstance(payload, dict):
        return _refuse(400, _("Dữ liệu gửi lên không phải JSON hợp lệ."))
    timestamp = payload.get("timestamp")
    header = request.headers.get(zalo.SIGNATURE_HEADER, "")
    if not isinstance(timestamp, str | int) or not zalo.signature_valid(
        body=raw, timestamp=str(timestamp), header=header
    ):
        logger.warning("zalo webhook: signature refused")
        return _refuse(403, _("Chữ ký không hợp lệ."))
    if not zalo.timestamp_fresh(str(timestamp)):
        logger.warning("zalo webhook: stale timestamp refused")
        return _refuse(403, _("Yêu cầu đã quá hạn."))
    event = payload.get("event_name")
    if event == "user_received_message":
        message = payload.get("message")
        msg_id = message.get("msg_id") if isinstance(message, dict) else None
        if not isinstance(msg_id, str) or not msg_id:
            return _refuse(400, _("Thiếu mã tin nhắn."))
        found = zalo.delivery_callback(msg_id=msg_id[:64], delivered_time=message.get("delivery_time"))
        return JsonResponse({"error": 0, "message": "Success", "found": found})
    if event == "user_send_text":
        parsed = zalo.payload_text(payload)
        if parsed is None:
            return _refuse(400, _("Thiếu người gửi hoặc nội dung tin nhắn."))
        sender_id, text = parsed
        with transaction.atomic():
            answer = tracking.zalo_answer(sender_id=sender_id, text=text)
            zalo.chatbot_reply_enqueue(sender_id=sender_id, text=answer)
        return JsonResponse({"error": 0, "message": "Success"})
    if not isinstance(event, str):
        return _refuse(400, _("Thiếu tên sự kiện."))
    return JsonResponse({"error": 0, "message": "Ignored"})


urlpatterns = [
    path("zalo/webhook/", zalo_webhook, name="zalo_webhook"),
]
