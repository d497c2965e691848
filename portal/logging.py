"""Structured logging: one JSON object per line, with secrets scrubbed from every record.

``JsonFormatter`` writes ``time`` (ISO 8601 with the UTC offset), ``level``, ``logger`` and
``message``; ``RedactSecretsFilter`` runs on the handler, so a token or a password never
reaches a log line, whatever a caller passes in (message or arguments).
"""

import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from portal.request_id import request_id_current

_SECRET_PATTERNS = [
    # "Authorization: Bearer <token>", and a bearer token anywhere else (e.g. a dumped META dict).
    re.compile(r"(?i)(authorization:\s*bearer\s+)[A-Za-z0-9._~+/\-]+=*"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/\-]+=*"),
    # password=..., "password": "...", password1=..., secret_key: ..., token=..., api_key=...
    re.compile(
        r"(?i)((?:pass(?:word|wd)\d*|secret(?:_key)?|token|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+",
    ),
    # Our own API tokens, wherever they appear.
    re.compile(r"\bdvc_[A-Za-z0-9_\-]{20,}"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        else:
            text = pattern.sub("***", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
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

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, tz=UTC).astimezone().isoformat(timespec="milliseconds")
