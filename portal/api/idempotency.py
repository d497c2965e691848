"""Idempotency-Key: one fingerprint of a request's content and one answer when a key comes back
with other content, for every creating endpoint of the API.

A key is kept with the fingerprint of the request that first used it: by ``ApiMiddleware`` in the
cache with the first answer, or durably by the view that keeps the key with what it created (the
filing of a dossier). The same key with the same content answers as the first time; with other
content, 422 ``idempotency_key_reused`` (nothing is done).

The fingerprint covers the method, the path, the media type (not its multipart boundary, which a
client draws anew on each retry) and the content: a JSON body as parsed (key order and spacing do
not matter), a multipart body as its fields and, for each file, its field, name and SHA-256.
"""

import hashlib
import json

from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status

from portal.api.exceptions import error_json_response

_CHUNK = 1 << 16


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "Idempotency-Key này đã được dùng cho một yêu cầu có nội dung khác. Hãy dùng một khoá mới cho mỗi yêu cầu mới."
    )


def idempotency_reused_response():
    """The 422 for answers made outside a DRF view (the middleware)."""
    return error_json_response(
        status_code=IdempotencyKeyReused.status_code,
        code=IdempotencyKeyReused.default_code,
        message=str(IdempotencyKeyReused.default_detail),
    )


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(_CHUNK):
        digest.update(chunk)
    upload.seek(0)  # the view reads it next
    return digest.hexdigest()


def request_fingerprint(request) -> str:
    """SHA-256 of what the request asks for (see the module docstring).

    ``request`` is Django's request (a DRF request is unwrapped); a multipart body is parsed by
    Django, so its files are spooled to disk, never held whole in memory.
    """
    request = getattr(request, "_request", request)
    media_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    digest = hashlib.sha256(f"{request.method} {request.path} {media_type}\n".encode())
    if media_type == "multipart/form-data":
        fields = sorted((key, sorted(values)) for key, values in request.POST.lists())
        files = sorted(
            (key, upload.name or "", _file_digest(upload))
            for key, uploads in request.FILES.lists()
            for upload in uploads
        )
        digest.update(json.dumps({"fields": fields, "files": files}, ensure_ascii=False).encode())
    elif media_type == "application/json":
        try:
            content = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            content = request.body.decode("utf-8", errors="replace")
        digest.update(content.encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def idempotency_check(*, stored: str, fingerprint: str) -> None:
    """Raise the 422 when a key kept with ``stored`` comes back with other content.

    An empty ``stored`` (a key kept before fingerprints were) matches anything.
    """
    if stored and stored != fingerprint:
        raise IdempotencyKeyReused()
