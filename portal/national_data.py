"""Once-only data (nguyên tắc "chỉ khai một lần"): the national databases behind the provincial
data-sharing platform (LGSP, nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh).

Every source is one configuration (``NATIONAL_DATA_SOURCES``): its endpoint at the LGSP, the
portal's credentials there, and its field mapping (the portal's field name → the answer's key).
Two are known: ``population`` (Cơ sở dữ liệu quốc gia về dân cư, by số định danh, with the
person's consent: name, date of birth, sex, permanent residence, relations) and ``business``
(Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp, by enterprise or tax code: name, address, legal
representative). All answer through the one function `national_lookup`.

The request: ``POST <endpoint>`` with JSON ``{"key": ..., "fields": [...], "purpose": ...}``,
signed with HMAC-SHA-256 over ``<timestamp>\\n<nonce>\\n<sha256 of the body>`` under the source's
secret (headers ``X-LGSP-Client``, ``X-LGSP-Timestamp``, ``X-LGSP-Nonce``, ``X-LGSP-Signature``).
The answer: ``{"status": "found", "record": {...}}`` or ``{"status": "not_found"}``. The real
LGSP's message format is not in a text at hand here: this protocol is ours, spoken identically by
the sandbox (`sandbox_lgsp`), and an LGSP gateway adapter maps it where the province's differs.
A slow, broken, refusing or missing answer is a `LookupResult` whose ``message`` says why; the
caller keeps the form usable for manual entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SOURCE_LABELS = {
    "population": gettext_lazy("Cơ sở dữ liệu quốc gia về dân cư"),
    "business": gettext_lazy("Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp"),
}


class LookupStatus:
    FOUND = "found"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Source:
    name: str
    endpoint: str
    client_id: str
    secret: str
    mapping: dict
    timeout: float = 5.0
    retries: int = 2

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS.get(self.name, self.name))


@dataclass
class LookupResult:
    source: str
    status: str
    values: dict = field(default_factory=dict)
    message: str = ""

    @property
    def found(self) -> bool:
        return self.status == LookupStatus.FOUND


def source_get(name: str) -> Source | None:
    config = (settings.NATIONAL_DATA_SOURCES or {}).get(name)
    if not config or not config.get("endpoint"):
        return None
    return Source(name=name, **config)


def signature(*, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = f"{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(source: Source, body: bytes) -> dict:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        "Content-Type": "application/json",
        "X-LGSP-Client": source.client_id,
        "X-LGSP-Timestamp": timestamp,
        "X-LGSP-Nonce": nonce,
        "X-LGSP-Signature": signature(secret=source.secret, timestamp=timestamp, nonce=nonce, body=body),
    }


def _failure(source: Source, status: str) -> LookupResult:
    reasons = {
        LookupStatus.TIMEOUT: _("%(source)s không trả lời kịp; hãy tự nhập các thông tin này."),
        LookupStatus.INVALID: _("%(source)s trả lời không đúng định dạng; hãy tự nhập các thông tin này."),
        LookupStatus.REFUSED: _("%(source)s từ chối yêu cầu tra cứu của Cổng; hãy tự nhập các thông tin này."),
        LookupStatus.UNAVAILABLE: _("Không kết nối được %(source)s; hãy tự nhập các thông tin này."),
        LookupStatus.NOT_FOUND: _("%(source)s không có thông tin này; hãy tự nhập."),
    }
    return LookupResult(source=source.name, status=status, message=reasons[status] % {"source": source.label})


def national_lookup(*, source: Source, key: str, fields: list[str], purpose: str) -> LookupResult:
    """Ask ``source`` for ``fields`` (portal names) of the record ``key``; retried on a lost
    connection or a 5xx answer, never on a refusal or a malformed answer."""
    wanted = [source.mapping[f] for f in fields if f in source.mapping]
    body = json.dumps({"key": key, "fields": wanted, "purpose": purpose}).encode()
    status = LookupStatus.UNAVAILABLE
    for _attempt in range(source.retries + 1):
        try:
            answer = requests.post(
                source.endpoint, data=body, headers=signed_headers(source, body), timeout=source.timeout
            )
        except requests.Timeout:
            status = LookupStatus.TIMEOUT
            continue
        except requests.RequestException:
            status = LookupStatus.UNAVAILABLE
            continue
        if answer.status_code >= 500:
            status = LookupStatus.UNAVAILABLE
            continue
        if answer.status_code in (401, 403):
            return _failure(source, LookupStatus.REFUSED)
        try:
            data = answer.json()
        except ValueError:
            return _failure(source, LookupStatus.INVALID)
        if not isinstance(data, dict) or answer.status_code != 200:
            return _failure(source, LookupStatus.INVALID)
        if data.get("status") == LookupStatus.NOT_FOUND:
            return _failure(source, LookupStatus.NOT_FOUND)
        record = data.get("record")
        if data.get("status") != LookupStatus.FOUND or not isinstance(record, dict):
            return _failure(source, LookupStatus.INVALID)
        values = {
            f: record[source.mapping[f]]
            for f in fields
            if f in source.mapping and isinstance(record.get(source.mapping[f]), str | int | float)
        }
        return LookupResult(source=source.name, status=LookupStatus.FOUND, values=values)
    return _failure(source, status)
