"""Log filters: secrets never reach a log line, whatever a caller passes in."""

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*bearer\s+)[A-Za-z0-9._\-]+"),
    re.compile(r"(?i)((?:password|passwd|secret|token|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+"),
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
