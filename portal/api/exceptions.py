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
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

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


def _from_django(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError({k: v for k, v in exc.message_dict.items()})
        return exceptions.ValidationError({"detail": exc.messages})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


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
    response.data = {"error": {"code": code, "message": message, "fields": fields}, "detail": message}
    return response
