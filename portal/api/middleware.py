"""What every ``/api/v1/`` request goes through, around the DRF views.

- **Idempotency-Key** on a POST: the first successful (2xx) answer is kept in the cache
  (Redis) for ``API_IDEMPOTENCY_TTL`` under the caller (token or session user), the path and
  the key; a repeat answers it again (header ``Idempotent-Replayed: true``) without running
  the view. A repeat with other content is a 422 (``portal.api.idempotency``, the one
  fingerprint and answer of every creating endpoint); a repeat while the first is still
  running, a 409. Views with their own, durable idempotency (filing) set
  ``idempotency_builtin = True`` and use the same fingerprint.
- **ETag** on every successful read; ``If-None-Match`` with the same value answers 304.
- **Audit**: each bearer-token request that changes data leaves an `ApiAuditRecord`.
- The one error format for what DRF does not answer itself: unknown URLs, server errors.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _

from portal import client_address
from portal.api.exceptions import error_json_response
from portal.api.idempotency import idempotency_reused_response, request_fingerprint
from portal.models import ApiAuditRecord, ApiToken
from portal.request_guard import body_error, data_too_big_message
from portal.unavailable import DATABASE_ERRORS, database_unavailable

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
IDEMPOTENCY_KEY_MAX = 64
_SAFE = ("GET", "HEAD", "OPTIONS")
_REPLAYED_HEADERS = ("Content-Type", "Location", "Content-Language")


def client_ip(request) -> str | None:
    """The client address (`portal.client_address`), None when unknown."""
    return client_address.client_ip(request) or None


def _caller(request) -> str | None:
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth:
        return "t:" + hashlib.sha256(auth.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return None


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        idem = getattr(request, "_idempotency", None)
        if idem is not None:
            self._store(idem, response)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
            response = error_json_response(
                status_code=404, code="not_found", message=_("Không tìm thấy địa chỉ API này.")
            )
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.streaming:
            response = self._etag(request, response)
        if request.method not in _SAFE and isinstance(getattr(request, "auth", None), ApiToken):
            self._audit(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.path.startswith(API_PREFIX):
            return None
        key = request.headers.get("Idempotency-Key", "").strip()
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if not key or getattr(view_class, "idempotency_builtin", False):
            return None
        if len(key) > IDEMPOTENCY_KEY_MAX:
            return error_json_response(
                status_code=400,
                code="invalid",
                message=_("Idempotency-Key tối đa %(n)d ký tự.") % {"n": IDEMPOTENCY_KEY_MAX},
            )
        caller = _caller(request)
        if caller is None:
            return None
        try:
            fingerprint = request_fingerprint(request)
        except RequestDataTooBig:
            return error_json_response(status_code=413, code="payload_too_large", message=data_too_big_message())
        except (MultiPartParserError, SuspiciousOperation, UnreadablePostError) as error:
            # A body nobody can read: its reason answered now, nothing kept.
            status_code, code, message = body_error(error)
            return error_json_response(status_code=status_code, code=code, message=message)
        base = "idem:" + hashlib.sha256(f"{caller}|{request.path}|{key}".encode()).hexdigest()
        stored = cache.get(base)
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                return idempotency_reused_response()
            response = HttpResponse(stored["content"], status=stored["status"])
            for name, value in stored["headers"].items():
                response[name] = value
            response["Idempotent-Replayed"] = "true"
            return response
        if not cache.add(base + ":lock", 1, timeout=120):
            return error_json_response(
                status_code=409,
                code="idempotency_in_progress",
                message=_("Một yêu cầu với cùng Idempotency-Key đang được xử lý. Vui lòng thử lại sau."),
            )
        request._idempotency = (base, fingerprint)
        return None

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, SuspiciousOperation):  # Django answers these 400 outside the API
            status_code, code, message = body_error(exception)
            return error_json_response(status_code=status_code, code=code, message=message)
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("API %s %s: database unavailable: %s", request.method, request.path, exception)
            return database_unavailable(request)
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exception)
        return error_json_response(
            status_code=500, code="server_error", message=_("Đã có lỗi phía máy chủ. Vui lòng thử lại sau.")
        )

    @staticmethod
    def _store(idem, response) -> None:
        base, fingerprint = idem
        try:
            if 200 <= response.status_code < 300 and not response.streaming:
                headers = {name: response[name] for name in _REPLAYED_HEADERS if response.has_header(name)}
                cache.set(
                    base,
                    {
                        "fingerprint": fingerprint,
                        "status": response.status_code,
                        "headers": headers,
                        "content": response.content.decode(response.charset or "utf-8", errors="replace"),
                    },
                    timeout=settings.API_IDEMPOTENCY_TTL,
                )
        finally:
            cache.delete(base + ":lock")

    @staticmethod
    def _etag(request, response):
        if not response.has_header("ETag"):
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        return get_conditional_response(request, etag=response["ETag"], response=response)

    @staticmethod
    def _audit(request, response) -> None:
        token = request.auth
        try:
            ApiAuditRecord.objects.create(
                token=token,
                token_prefix=token.prefix,
                user_id=token.user_id,
                organisation_id=token.organisation_id,
                method=request.method[:10],
                path=request.path[:500],
                status_code=response.status_code,
                ip_address=client_ip(request),
                idempotency_key=request.headers.get("Idempotency-Key", "")[:64],
                created_at=timezone.now(),
            )
        except Exception:  # the audit must never turn an answered request into an error
            logger.exception("could not record the API audit row for %s %s", request.method, request.path)
