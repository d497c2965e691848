"""Private files through Django's storage API only, so the same code runs on the local file
system and on S3-compatible object storage (``STORAGE_BACKEND``).

Nothing here asks a storage for a local path: files are opened, read, written and deleted by
name. A download is answered only after the caller's view has checked permission: streamed
through the portal, or (``STORAGE_DOWNLOADS=presigned`` on an object store) redirected to a
presigned URL that expires after ``STORAGE_PRESIGNED_SECONDS``.
"""

import logging
import time
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections, router
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

# What a storage may raise when it cannot read, write or delete: the file system's OSError
# (FileNotFoundError included), an object store's client and transport errors.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


@contextmanager
def files_kept_only_if_committed():
    """Around a ``transaction.atomic()`` block that writes files for its rows: ``track(field)``
    after each save (``replaces=`` the name it supersedes, deleted on commit by the caller);
    when the block fails, its commit included, the files it wrote are deleted, so no file
    outlives a row that was never written.

        with files_kept_only_if_committed() as track, transaction.atomic():
            slip.file.save(name, content, save=False)
            track(slip.file)
            slip.save()

    A failed COMMIT is ambiguous (the server may have committed before the connection dropped):
    the row is read again, waiting a few seconds for the database, and only a file the row does
    not hold is deleted; when the row holds it, the file it replaced is deleted instead (what
    the caller's on-commit hook would have done). When the row cannot be read, both stay (a
    stray file, never a missing one). Inside an outer transaction the block's commit is the
    outer one's: only the block's own failures are seen here."""
    written: list[tuple] = []

    def track(field, *, replaces: str | None = None) -> None:
        written.append((field, field.name, replaces))

    try:
        yield track
    except BaseException:
        for field, name, replaces in written:
            held = _row_holds(field, name)
            if held is None:
                logger.warning("kept %s: whether its row was committed is unknown", name)
                continue
            doomed = replaces if held else name
            if doomed:
                try:
                    field.storage.delete(doomed)
                except STORAGE_ERRORS:
                    logger.warning("could not delete %s, left by a failed transaction", doomed, exc_info=True)
        raise


def _row_holds(field, name: str, attempts: int = 15) -> bool | None:
    """Whether the committed row of ``field`` names ``name`` (None: the database did not say)."""
    instance = field.instance
    if instance.pk is None:
        return False
    model = type(instance)
    using = router.db_for_write(model)
    connection = connections[using]
    for _attempt in range(attempts):
        try:
            return model._base_manager.using(using).filter(pk=instance.pk, **{field.field.attname: name}).exists()
        except DatabaseError:
            if connection.in_atomic_block:
                return None  # an outer transaction, broken: it cannot be read here
            connection.close()
            time.sleep(1)
    return None


class StoredFileMissing(Exception):
    """The row names a file the storage no longer holds."""


class StorageUnavailable(Exception):
    """The storage did not answer (object store unreachable, refused credentials...)."""


class StorageName:
    """A file of the private storage known only by its name (no model field holds it), with
    what ``storage_open`` and ``storage_file_response`` need of a field's file."""

    def __init__(self, name: str):
        self.name = name
        self.storage = default_storage

    def open(self, mode: str = "rb"):
        return self.storage.open(self.name, mode)


def storage_open(field):
    """The field's file opened for reading, or `StoredFileMissing` / `StorageUnavailable`."""
    try:
        return field.open("rb")
    except (FileNotFoundError, ValueError):
        raise StoredFileMissing(field.name) from None
    except STORAGE_ERRORS as error:
        if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            raise StoredFileMissing(field.name) from None
        logger.warning("private storage unavailable while opening %s", field.name, exc_info=True)
        raise StorageUnavailable(field.name) from error


def _presigned(field) -> bool:
    return settings.STORAGE_DOWNLOADS == "presigned" and hasattr(field.storage, "bucket_name")


def storage_file_response(request, field, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """The download of a private file whose permission the caller has already checked
    (``inline``: shown in the page, e.g. a document's preview image, rather than saved).

    A missing file answers 404 with a page that says so; an unreachable storage 503 with
    Retry-After; never a 500."""
    try:
        if _presigned(field):
            if not field.storage.exists(field.name):
                raise StoredFileMissing(field.name)
            url = field.storage.url(
                field.name,
                parameters={
                    "ResponseContentDisposition": content_disposition_header(not inline, filename),
                    "ResponseContentType": content_type,
                    "ResponseCacheControl": "private, no-store",
                },
                expire=settings.STORAGE_PRESIGNED_SECONDS,
            )
            response = HttpResponseRedirect(url)
        else:
            response = FileResponse(
                storage_open(field), as_attachment=not inline, filename=filename, content_type=content_type
            )
    except StoredFileMissing:
        logger.warning("stored file missing: %s", field.name)
        return _problem(request, "portal/file_missing.html", status=404)
    except (StorageUnavailable, *STORAGE_ERRORS):
        response = _problem(request, "portal/storage_unavailable.html", status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _problem(request, template: str, *, status: int) -> HttpResponse:
    response = HttpResponse(render_to_string(template, request=request), status=status)
    response["Cache-Control"] = "private, no-store"
    return response
