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
The answer: ``{"status": "found", "record": {...}}`` or ``{"status": "not_found"}``.

A source may also hand out documents it holds (``documents``: the portal's document name → the
source's, e.g. ``residence_confirmation`` → ``xacNhanCuTru``), at its ``document_endpoint``:
``POST`` of ``{"key": ..., "document": <source's name>, "purpose": ...}``, signed the same way,
answered ``{"status": "found", "document": {"title", "issuer", "issued_at", "mime_type",
"content"}}`` (``content`` in base64) — `national_document_fetch`.

The real LGSP's message format (and the NDXP's behind it) is not in a text at hand here: this
protocol and every name in it are ours, spoken identically by the sandbox (`sandbox_lgsp`). They
are configuration (``national_data_sources`` in ``portal/settings/base.py``: endpoints, field
and document names); an LGSP gateway adapter maps them where the province's differ. What is at
hand: Circular 13/2017/TT-BTTTT art. 17 (in force from 10 August 2017) gives the LGSP the task of
converting protocols and data formats between the systems it connects — one more reason the
portal's side is kept to one small, configurable protocol.
A slow, broken, refusing or missing answer is a `LookupResult` whose ``message`` says why; the
caller keeps the form usable for manual entry.
"""

from __future__ import annotations

import base64
import binascii
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

# The documents a national database may hand out for a document component
# (`DocumentRequirement.national_document`), by the portal's name.
NATIONAL_DOCUMENTS = {
    # Law on Residence 68/2020/QH14 (from 1 July 2021): the confirmation of residence information.
    "residence_confirmation": ("population", gettext_lazy("Giấy xác nhận thông tin về cư trú")),
    "birth_record": ("population", gettext_lazy("Trích lục khai sinh")),
}
NATIONAL_DOCUMENT_CHOICES = [("", gettext_lazy("Không")), *[(k, v[1]) for k, v in NATIONAL_DOCUMENTS.items()]]
NATIONAL_DOCUMENT_MAX_SIZE = 5 * 1024 * 1024

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
    document_endpoint: str = ""
    documents: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS.get(self.name, self.name))


@dataclass
class LookupResult:
    source: str
    status: str
    values: dict = field(default_factory=dict)
    message: str = ""
    # For a document: its bytes and what the source says of it (title, issuer, issued_at, mime_type).
    content: bytes = b""
    meta: dict = field(default_factory=dict)

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


def _signed_post(source: Source, url: str, body: bytes) -> tuple[str, dict | None]:
    """POST ``body`` signed to ``url``, retried on a lost connection or a 5xx answer, never on a
    refusal or a malformed answer: (status, the answer's JSON when it is a 200 object)."""
    status = LookupStatus.UNAVAILABLE
    for _attempt in range(source.retries + 1):
        try:
            answer = requests.post(url, data=body, headers=signed_headers(source, body), timeout=source.timeout)
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
            return LookupStatus.REFUSED, None
        try:
            data = answer.json()
        except ValueError:
            return LookupStatus.INVALID, None
        if not isinstance(data, dict) or answer.status_code != 200:
            return LookupStatus.INVALID, None
        if data.get("status") == LookupStatus.NOT_FOUND:
            return LookupStatus.NOT_FOUND, None
        if data.get("status") != LookupStatus.FOUND:
            return LookupStatus.INVALID, None
        return LookupStatus.FOUND, data
    return status, None


def national_lookup(*, source: Source, key: str, fields: list[str], purpose: str) -> LookupResult:
    """Ask ``source`` for ``fields`` (portal names) of the record ``key``."""
    wanted = [source.mapping[f] for f in fields if f in source.mapping]
    body = json.dumps({"key": key, "fields": wanted, "purpose": purpose}).encode()
    status, data = _signed_post(source, source.endpoint, body)
    if status != LookupStatus.FOUND:
        return _failure(source, status)
    record = data.get("record")
    if not isinstance(record, dict):
        return _failure(source, LookupStatus.INVALID)
    values = {
        f: record[source.mapping[f]]
        for f in fields
        if f in source.mapping and isinstance(record.get(source.mapping[f]), str | int | float)
    }
    return LookupResult(source=source.name, status=LookupStatus.FOUND, values=values)


def national_document_fetch(*, source: Source, key: str, document: str, purpose: str) -> LookupResult:
    """Ask ``source`` for its ``document`` (portal name) of the record ``key``: a found result
    carries the bytes (``content``, at most `NATIONAL_DOCUMENT_MAX_SIZE`) and ``meta``; the
    caller still checks the bytes as any upload's."""
    if document not in source.documents or not source.document_endpoint:
        return _failure(source, LookupStatus.NOT_FOUND)
    body = json.dumps({"key": key, "document": source.documents[document], "purpose": purpose}).encode()
    status, data = _signed_post(source, source.document_endpoint, body)
    if status != LookupStatus.FOUND:
        return _failure(source, status)
    answer = data.get("document")
    if not isinstance(answer, dict) or not isinstance(answer.get("content"), str):
        return _failure(source, LookupStatus.INVALID)
    if len(answer["content"]) > NATIONAL_DOCUMENT_MAX_SIZE * 4 // 3 + 4:
        return _failure(source, LookupStatus.INVALID)
    try:
        content = base64.b64decode(answer["content"], validate=True)
    except (binascii.Error, ValueError):
        return _failure(source, LookupStatus.INVALID)
    if not content:
        return _failure(source, LookupStatus.INVALID)
    meta = {k: str(answer[k])[:255] for k in ("title", "issuer", "issued_at", "mime_type") if answer.get(k)}
    return LookupResult(source=source.name, status=LookupStatus.FOUND, content=content, meta=meta)
