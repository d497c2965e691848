"""Page images of documents for viewing in the page (bản xem trước), without downloading.

An officer's dossier page asks for the previews of its documents (``document_previews_request``):
a document with none yet gets a pending row and a task on the ``pdf`` queue, on commit. The task
(``document_preview_render``) renders a PDF's first ``DOCUMENT_PREVIEW_MAX_PAGES`` pages with
poppler's ``pdftoppm`` or scales an image with Pillow, to PNG in private storage, once: a second
run finds the row ready and does nothing. Files over ``DOCUMENT_PREVIEW_MAX_BYTES`` are not
rendered (they are downloaded). The images are served by ``dossiers.views.files`` with the
document's own download permission.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import subprocess  # poppler's pdftoppm: fixed arguments, no shell
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from dossiers.constants import PREVIEW_IMAGE_TYPES, PREVIEW_PDF_TYPES, PreviewState
from dossiers.core import pipelines
from dossiers.models import DocumentPreview, StoredDocument
from portal.storage import STORAGE_ERRORS, StorageUnavailable, StoredFileMissing, storage_open

logger = logging.getLogger(__name__)

# poppler-utils (Debian package; in the Dockerfile): a machine without it marks previews failed.
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
RENDER_TIMEOUT_SECONDS = 60
# A pending row whose task was lost (broker restarted) is asked for again after this long.
PENDING_RETRY_AFTER = dt.timedelta(minutes=10)


class PreviewError(Exception):
    """The file could not be turned into page images (damaged, not what it says it is)."""


def previewable(stored: StoredDocument) -> bool:
    return stored.mime_type in PREVIEW_PDF_TYPES or stored.mime_type in PREVIEW_IMAGE_TYPES


def document_previews_request(*, stored_documents: list[StoredDocument]) -> dict[int, DocumentPreview]:
    """The preview rows of these documents (those that can be previewed), each document with
    none yet (or whose task seems lost) queued for rendering on commit. Two queries at most."""
    wanted = {s.pk: s for s in stored_documents if previewable(s)}
    if not wanted:
        return {}
    now = timezone.now()
    rows = {p.stored_id: p for p in DocumentPreview.objects.filter(stored_id__in=wanted)}
    missing = [pk for pk in wanted if pk not in rows]
    if missing:
        made = [DocumentPreview(stored_id=pk, requested_at=now) for pk in missing]
        DocumentPreview.objects.bulk_create(made, ignore_conflicts=True)
        rows.update({p.stored_id: p for p in made})
    stale = [
        pk
        for pk, row in rows.items()
        if row.state == PreviewState.PENDING and row.pk not in missing and row.requested_at < now - PENDING_RETRY_AFTER
    ]
    if stale:
        DocumentPreview.objects.filter(stored_id__in=stale, state=PreviewState.PENDING).update(requested_at=now)
    for pk in [*missing, *stale]:
        transaction.on_commit(lambda pk=pk: pipelines.document_preview_enqueue(stored_document_id=pk))
    return rows


def document_preview_render(*, stored_document_id: int) -> str | None:
    """Render the page images of one stored document; nothing when they exist already.

    Returns the preview's state (None for a document that is gone or cannot be previewed)."""
    stored = StoredDocument.objects.filter(pk=stored_document_id).first()
    if stored is None or not previewable(stored) or not stored.file:
        return None
    with transaction.atomic():
        row, _created = DocumentPreview.objects.select_for_update().get_or_create(
            stored=stored, defaults={"requested_at": timezone.now()}
        )
        if row.state != PreviewState.PENDING:
            return row.state
        if stored.size > settings.DOCUMENT_PREVIEW_MAX_BYTES:
            row.state = PreviewState.TOO_LARGE
        else:
            try:
                content = _read(stored)
            except StoredFileMissing:
                content = None
            # StorageUnavailable propagates: the task is retried by the base task's policy.
            try:
                if content is None:
                    raise PreviewError("file missing")
                if stored.mime_type in PREVIEW_PDF_TYPES:
                    images, row.page_count = _pdf_pages(content)
                else:
                    images, row.page_count = [_image_page(content)], 1
            except PreviewError:
                logger.warning("no preview for stored document %s", stored.pk, exc_info=True)
                row.state = PreviewState.FAILED
            else:
                row.pages = [
                    default_storage.save(f"previews/{stored.sha256[:2]}/{stored.pk}-p{n}.png", ContentFile(image))
                    for n, image in enumerate(images, start=1)
                ]
                row.state = PreviewState.READY
        row.rendered_at = timezone.now()
        row.save(update_fields=["state", "pages", "page_count", "rendered_at"])
        return row.state


def _read(stored: StoredDocument) -> bytes:
    try:
        with storage_open(stored.file) as handle:
            return handle.read()
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(stored.file.name) from error


def _pdf_pages(content: bytes) -> tuple[list[bytes], int]:
    """PNG images of the first pages of a PDF, and its number of pages."""
    try:
        total = len(PdfReader(io.BytesIO(content)).pages)
    except (PyPdfError, ValueError, OSError) as error:
        raise PreviewError("unreadable PDF") from error
    if total < 1:
        raise PreviewError("no pages")
    last = min(total, settings.DOCUMENT_PREVIEW_MAX_PAGES)
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        source = Path(folder) / "source.pdf"
        source.write_bytes(content)
        command = [
            PDFTOPPM,
            "-png",
            "-f",
            "1",
            "-l",
            str(last),
            "-scale-to-x",
            str(settings.DOCUMENT_PREVIEW_WIDTH),
            "-scale-to-y",
            "-1",
            str(source),
            str(Path(folder) / "page"),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=RENDER_TIMEOUT_SECONDS)  # noqa: S603
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            raise PreviewError("pdftoppm failed") from error
        # page-1.png … page-10.png (zero-padded to the width of the last number): sort by number.
        files = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        if not files:
            raise PreviewError("no page rendered")
        return [f.read_bytes() for f in files], total


def _image_page(content: bytes) -> bytes:
    """An uploaded image, upright and no wider than the preview width, as PNG (EXIF dropped)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image = ImageOps.exif_transpose(image)
            width = settings.DOCUMENT_PREVIEW_WIDTH
            if image.width > width:
                image = image.resize((width, max(1, round(image.height * width / image.width))))
            if image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGB")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
            return buffer.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise PreviewError("unreadable image") from error


def document_preview_page(*, stored: StoredDocument, number: int) -> str | None:
    """The storage name of page ``number`` (from 1) of a ready preview, else None."""
    row = DocumentPreview.objects.filter(stored=stored, state=PreviewState.READY).first()
    if row is None or not 1 <= number <= len(row.pages):
        return None
    return row.pages[number - 1]
