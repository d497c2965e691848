"""Structured logging: one JSON object per line, with secrets scrubbed from every record.

``JsonFormatter`` writes ``time`` (ISO 8601 with the UTC offset), ``level``, ``logger`` and
``message``; ``RedactSecretsFilter`` runs on the handler, so a token, a password, a tracking PIN or a
one-time code never reaches a log line, whatever a caller passes in (message, arguments, a query
string, a traceback); the JSON formatter also masks the extra fields it writes. gunicorn's access
log has its own redacting logger class, ``portal.gunicorn_logging.RedactingLogger``.
"""

import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from portal.request_id import request_id_current

# A dossier code (`000.00.12.H48-261122-0001`) or a procedure code (`1.001612`) is not a secret:
# `/track/?code=…` keeps it, while a one-time code (TOTP, an OpenID Connect `code`) is redacted.
_PUBLIC_CODE = re.compile(r"[0-9A-Za-z.]+-\d{6}-\d{4,}|\d\.\d{6}")
# The names of parameters, fields and keys whose value is a secret: passwords, tokens, PINs
# (`?pin=`, `tracking_pin`), one-time codes, keys.
_SENSITIVE_NAME = (
    r"(?:pass(?:word|wd)\d*|secret(?:_key)?|api_key|[a-z_]*token"
    r"|(?<![\w-])(?:tracking_|new_)?pin|(?<![\w-])(?:otp|totp|recovery_code|code))"
)
_SECRET_PATTERNS = [
    # "Authorization: Bearer <token>", and a bearer token anywhere else (e.g. a dumped META dict).
    re.compile(r"(?i)(authorization:\s*bearer\s+)[A-Za-z0-9._~+/\-]+=*"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/\-]+=*"),
    # password=..., "password": "...", ?pin=..., &token=..., 'code': '123456', secret_key: ...
    re.compile(rf"(?i)({_SENSITIVE_NAME}[\"']?\s*[:=]\s*[\"']?)[^\s\"',&;#]+"),
    # Secrets carried in a path: invitation tokens, password-reset and e-mail confirmation keys.
    re.compile(r"(?i)(/(?:invitations|password/reset/key|confirm-email)/)[^/\s?\"'#]+"),
    # Our own API tokens, wherever they appear.
    re.compile(r"\bdvc_[A-Za-z0-9_\-]{20,}"),
]
_SENSITIVE_KEY = re.compile(rf"(?i)^{_SENSITIVE_NAME}$")
MASK = "***"


def _mask(match: re.Match) -> str:
    value = match.group(0)[len(match.group(1)) :]
    if match.group(1).lower().lstrip("\"'").startswith("code") and _PUBLIC_CODE.fullmatch(value):
        return match.group(0)
    return match.group(1) + MASK


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_mask if pattern.groups else lambda m: MASK, text)
    return text


def redact_value(value: object, key: str = "") -> object:
    """A log field with its secrets masked: strings through ``redact``, a value under a secret's
    name (``{"pin": "123456"}``) masked whole, containers walked, other objects as redacted text."""
    if key and _SENSITIVE_KEY.match(key) and value not in (None, ""):
        if not (key.lower() == "code" and isinstance(value, str) and _PUBLIC_CODE.fullmatch(value)):
            return MASK
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact_value(v) for v in value]
    return redact(str(value))


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message, its arguments and the traceback, before any formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(_BaseJsonFormatter):
    """python-json-logger, with ``asctime`` as ISO 8601 in local time with its offset, and
    Vietnamese text written as UTF-8 rather than as ``\\u`` escapes."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        request_id = request_id_current()
        if request_id:
            log_data["request_id"] = request_id

    def process_log_record(self, log_record: dict) -> dict:
        # Extra fields (Django's `request`, Celery's task `data`) are written too: mask them.
        return {key: redact_value(value, key) for key, value in super().process_log_record(log_record).items()}

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, tz=UTC).astimezone().isoformat(timespec="milliseconds")
