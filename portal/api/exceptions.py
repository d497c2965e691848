"""One error format for the whole API.

Every error answers ``{"error": {"code": ..., "message": ..., "fields": {...}}, "detail": ...}``:
``code`` is machine-readable (``invalid``, ``not_found``, ``not_authenticated``, ``throttled``…),
``message`` is a Vietnamese sentence for people, ``fields`` maps each bad input (``data.full_name``,
``documents[12]``…) to its messages. ``detail`` repeats the message for clients written against
DRF's default format.

Services raise Django's ``ValidationError`` / ``PermissionDenied``; they are translated here so a
view never has to, and never turns into a 500.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from portal.request_guard import data_too_big_message

# Keys under which a message is about the request as a whole, not one field.
_NON_FIELD_KEYS = ("detail", "non_field_errors", "__all__")


def _messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_messages(item))
        return out
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    return [str(value)]


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors become dotted keys: ``{"data": {"name": [...]}}`` → ``data.name``."""
    fields: dict[str, list[str]] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            fields.update(_flatten(value, name))
        else:
            fields[name] = _messages(value)
    return fields


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = gettext_lazy("Dữ liệu gửi lên vượt quá dung lượng cho phép.")


class Conflict(exceptions.APIException):
    """The resource's state does not allow the request (409): e.g. rating a dossier twice."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"
    default_detail = gettext_lazy("Trạng thái hiện tại của hồ sơ không cho phép thao tác này.")


def error_body(*, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}, "detail": message}


def error_json_response(*, status_code: int, code: str, message: str) -> JsonResponse:
    """The error format for answers made outside DRF (unknown API URL, server error)."""
    return JsonResponse(
        error_body(code=code, message=message), status=status_code, json_dumps_params={"ensure_ascii": False}
    )


def _from_django(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        # Services mark "the state does not allow it" with code invalid_state: that is a 409.
        if getattr(exc, "code", None) == "invalid_state":
            return Conflict(" ".join(exc.messages))
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError({k: v for k, v in exc.message_dict.items()})
        return exceptions.ValidationError({"detail": exc.messages})
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(data_too_big_message())
    if isinstance(exc, DataError):
        # A value the database cannot hold (an id past bigint, a NUL byte): bad input, not a 500.
        return exceptions.ValidationError({"detail": [_("Giá trị gửi lên nằm ngoài phạm vi cho phép.")]})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session authentication words this in English, with Django's untranslated reason.
        return exceptions.PermissionDenied(
            _(
                "Thiếu hoặc sai mã chống giả mạo (CSRF) của phiên đăng nhập. Hãy tải lại trang rồi thử lại, "
                "hoặc gọi API bằng mã truy cập (Authorization: Bearer …)."
            ),
            code="csrf_failed",
        )
    return exc


# Our own sentences for DRF's stock messages, so both languages read the same everywhere.
_STOCK_MESSAGES = {
    "not_authenticated": gettext_lazy("Bạn chưa xác thực: hãy gửi mã truy cập (Authorization: Bearer …)."),
    "authentication_failed": gettext_lazy("Thông tin xác thực không đúng."),
    "permission_denied": gettext_lazy("Bạn không có quyền thực hiện thao tác này."),
    "not_found": gettext_lazy("Không tìm thấy."),
    "method_not_allowed": gettext_lazy("Phương thức này không được hỗ trợ tại địa chỉ này."),
    "not_acceptable": gettext_lazy("Không đáp ứng được định dạng yêu cầu trong tiêu đề Accept."),
    "unsupported_media_type": gettext_lazy("Kiểu nội dung (Content-Type) gửi lên không được hỗ trợ."),
    "parse_error": gettext_lazy("Nội dung gửi lên không đọc được (sai định dạng)."),
    "throttled": gettext_lazy("Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau %(wait)s giây."),
}


def _stock_message(exc, code: str, message: str) -> str:
    """Our sentence in place of DRF's default one; a message a view chose is kept."""
    if code not in _STOCK_MESSAGES or not isinstance(exc, exceptions.APIException):
        return message
    if code == "throttled":
        if type(exc) is not exceptions.Throttled:  # a subclass (tracking) words its own
            return message
        wait = exc.wait if exc.wait is not None else 1
        return str(_STOCK_MESSAGES[code]) % {"wait": max(int(wait), 1)}
    if code in ("method_not_allowed", "unsupported_media_type", "not_acceptable"):
        return str(_STOCK_MESSAGES[code])  # DRF's sentences there name the input: ours need not
    if message == str(exc.default_detail):
        return str(_STOCK_MESSAGES[code])
    return message


def api_exception_handler(exc, context):
    exc = _from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        general: list[str] = []
        if isinstance(data, dict):
            for key, value in _flatten({k: v for k, v in data.items() if k not in _NON_FIELD_KEYS}).items():
                fields[key] = value
            for key in _NON_FIELD_KEYS:
                if key in data:
                    general.extend(_messages(data[key]))
        else:
            general = _messages(data)
        message = " ".join(general) or _("Dữ liệu gửi lên không hợp lệ. Vui lòng kiểm tra các trường được nêu.")
    else:
        code = getattr(exc, "default_code", "error")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        if isinstance(codes, str):
            code = codes
        message = " ".join(_messages(data.get("detail", data) if isinstance(data, dict) else data))
        message = _stock_message(exc, code, message)
    response.data = error_body(code=code, message=message, fields=fields)
    return response
