"""Uploaded files: checked by content, not by name, then kept in the applicant's store.

A file is accepted only when libmagic's reading of its bytes is one of the types the
document component allows, it fits the size limit, and it passes the upload policy
(`portal.upload_policy`: active content of PDFs, decompression and pixel limits, polyglots,
antivirus).

Photos of one paper taken with the camera (issue 25) are checked the same way one by one, then
merged by `photos_merge_pdf` into one PDF of a page each, which is then checked like any file.
"""

import hashlib
import io
import logging
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from dossiers.constants import DocumentSource
from dossiers.models import StoredDocument
from portal.storage import STORAGE_ERRORS
from portal.upload_policy import size_pair, upload_check
from signing.constants import pdf_may_carry_signatures

logger = logging.getLogger(__name__)

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
    "application/xml": "xml",
    "text/xml": "xml",
}
DEFAULT_ACCEPTED = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True)
class InspectedFile:
    name: str
    mime_type: str
    size: int
    sha256: str
    content: bytes

    @property
    def may_be_signed(self) -> bool:
        """A PDF with a signature dictionary: only those are worth sending to the signing queue
        for verification (the worker skips the others with the same test)."""
        return self.mime_type == "application/pdf" and pdf_may_carry_signatures(self.content)


def sanitise_filename(name: str, *, mime_type: str | None = None) -> str:
    """Keep letters (Vietnamese included), digits, dot, dash and underscore; no paths."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    # Dots stay inside the stem: a dossier code (000.00.12.H48-261122-0001) reads as itself.
    stem = re.sub(r"[^\w\-.]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:100] or "tep"
    if mime_type in EXTENSIONS:
        ext = EXTENSIONS[mime_type]
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:8].lower()
    return f"{stem}.{ext}" if ext else stem


def document_inspect(
    *, name: str, content: bytes, accepted_types: list[str] | tuple[str, ...] | None = None, max_size: int | None = None
) -> InspectedFile:
    """Validate an upload by its bytes; raise ValidationError with the reason when refused."""
    accepted = tuple(accepted_types or DEFAULT_ACCEPTED)
    limit = max_size or DEFAULT_MAX_SIZE
    size = len(content)
    if size == 0:
        raise ValidationError(_("Tệp “%(name)s” rỗng.") % {"name": name}, code="empty")
    if size > limit:
        shown, shown_limit = size_pair(size, limit)
        raise ValidationError(
            _("Tệp “%(name)s” có dung lượng %(size)s, vượt quá giới hạn %(limit)s.")
            % {"name": name, "size": shown, "limit": shown_limit},
            code="too_large",
        )
    mime_type = magic.from_buffer(content[:65536], mime=True)
    if mime_type not in accepted:
        allowed = ", ".join(sorted({EXTENSIONS.get(t, t).upper() for t in accepted}))
        raise ValidationError(
            _("Tệp “%(name)s” có nội dung kiểu %(type)s, không thuộc các định dạng được chấp nhận (%(allowed)s).")
            % {"name": name, "type": mime_type, "allowed": allowed},
            code="bad_type",
        )
    content = upload_check(name=name, content=content, mime_type=mime_type)
    size = len(content)
    return InspectedFile(
        name=sanitise_filename(name, mime_type=mime_type),
        mime_type=mime_type,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def stored_document_build(
    *,
    inspected: InspectedFile,
    owner=None,
    organisation=None,
    title: str = "",
    source: str = DocumentSource.UPLOAD,
    result_code: str = "",
    national_source: str = "",
    national_document: str = "",
) -> StoredDocument:
    """An inspected file written to private storage, as a store entry not yet saved (for
    ``bulk_create``); `stored_files_discard` removes the files if it never is."""
    doc = StoredDocument(
        owner=owner,
        organisation=organisation,
        name=inspected.name,
        title=title[:255],
        mime_type=inspected.mime_type,
        size=inspected.size,
        sha256=inspected.sha256,
        source=source,
        result_code=result_code,
        national_source=national_source,
        national_document=national_document,
        created_at=timezone.now(),
    )
    doc.file.save(inspected.name, ContentFile(inspected.content), save=False)
    return doc


def stored_files_discard(documents: list[StoredDocument]) -> None:
    """Delete the files of store entries whose rows were never committed."""
    for doc in documents:
        if doc.file and doc.file.name:
            try:
                doc.file.storage.delete(doc.file.name)
            except STORAGE_ERRORS:
                logger.warning("could not delete the file of an abandoned upload", exc_info=True)


def stored_document_create(*, inspected: InspectedFile, **fields) -> StoredDocument:
    """Save an inspected file to private storage as an entry of the owner's store
    (``fields`` as `stored_document_build`'s). Not for what an applicant or an officer hands in
    (uploads, scans): those go through `stored_document_get_or_store`, kept once per owner."""
    doc = stored_document_build(inspected=inspected, **fields)
    doc.save()
    return doc


# --- one copy of a file per owner (issue 19) -----------------------------------------------
#
# What a person hands in (a file uploaded online, a paper scanned at the counter) is kept once
# per owner: the same bytes handed in again by the same owner, for the same organisation, are
# the entry already in the store, its file written once. The database holds the rule (the
# partial unique constraints ``stored_document_one_copy_per_owner`` and ``…_org``), so two
# requests at the same moment end with one row and one file. Generated documents (results, e-receipts,
# declarations) are not concerned: a result is signed in place, which changes its bytes.

DEDUPLICATED_SOURCES = (DocumentSource.UPLOAD, DocumentSource.SCAN)


def _store_key(owner, organisation, sha256s) -> dict[str, StoredDocument]:
    """The owner's entries (for ``organisation``, or personal when None) of these hashes, by hash."""
    rows = StoredDocument.objects.filter(
        owner=owner, organisation=organisation, sha256__in=list(sha256s), source__in=DEDUPLICATED_SOURCES
    ).order_by("-pk")
    return {row.sha256: row for row in rows}  # the oldest last, so it is the one kept


def stored_documents_prepare(
    *, files: list[tuple[InspectedFile, str]], owner, organisation=None, source: str = DocumentSource.UPLOAD
) -> dict[str, StoredDocument]:
    """For each (inspected file, title), by hash: the owner's entry when the store holds the file
    already (saved, ``pk`` set), else a new entry with its file written, not yet saved (``pk``
    None) for `stored_documents_keep`. One query for all; the same bytes twice are one entry.
    Lets a caller write files before its transaction and only insert inside it."""
    if source not in DEDUPLICATED_SOURCES:
        raise ValueError(f"{source!r} documents are not kept once per owner")
    prepared = _store_key(owner, organisation, {inspected.sha256 for inspected, _title in files})
    written: list[StoredDocument] = []
    try:
        for inspected, title in files:
            if inspected.sha256 not in prepared:
                prepared[inspected.sha256] = doc = stored_document_build(
                    inspected=inspected, owner=owner, organisation=organisation, title=title, source=source
                )
                written.append(doc)
    except BaseException:
        stored_files_discard(written)
        raise
    return prepared


def stored_documents_keep(prepared: dict[str, StoredDocument]) -> dict[str, StoredDocument]:
    """Insert the prepared entries not yet saved, all in one statement, and return the entries by
    hash. An entry another request kept meanwhile for the same owner wins (the unique index
    makes the insert wait for that request, then skip the row: ON CONFLICT DO NOTHING): it is
    returned instead, and the file written for the skipped one deleted at once (no row names
    it). Rows are inserted in hash order, so two requests never wait for each other crosswise."""
    new = sorted((d for d in prepared.values() if d.pk is None), key=lambda d: d.sha256)
    if not new:
        return dict(prepared)
    sample = new[0]
    try:
        StoredDocument.objects.bulk_create(new, ignore_conflicts=True)
    except BaseException:
        stored_files_discard(new)
        raise
    kept = _store_key(sample.owner, sample.organisation, {d.sha256 for d in new})
    # Two writers racing on an object store may have been given the same name (same bytes).
    stored_files_discard([d for d in new if kept[d.sha256].file.name != d.file.name])
    return {sha: kept.get(sha, doc) for sha, doc in prepared.items()}


def stored_documents_get_or_store(
    *,
    files: list[tuple[InspectedFile, str]],
    owner,
    organisation=None,
    source: str = DocumentSource.UPLOAD,
    track=None,
) -> dict[str, StoredDocument]:
    """The owner's entries of uploaded or scanned files (inspected file, title), by hash: the
    ones the store holds, else new ones with their files written once, inserted in one
    statement. Inside a transaction the caller may fail later, pass ``track`` of
    `portal.storage.files_kept_only_if_committed` around it: a file written here is then
    deleted when the transaction does not commit."""
    prepared = stored_documents_prepare(files=files, owner=owner, organisation=organisation, source=source)
    written = {sha: doc.file.name for sha, doc in prepared.items() if doc.pk is None}
    if not written:
        return prepared
    kept = stored_documents_keep(prepared)
    if track is not None:
        for sha, name in written.items():
            if kept[sha].file.name == name:
                track(kept[sha].file)
    return kept


def stored_document_get_or_store(
    *,
    inspected: InspectedFile,
    owner,
    organisation=None,
    title: str = "",
    source: str = DocumentSource.UPLOAD,
    track=None,
) -> StoredDocument:
    """The owner's entry of one uploaded or scanned file (`stored_documents_get_or_store`)."""
    return stored_documents_get_or_store(
        files=[(inspected, title)], owner=owner, organisation=organisation, source=source, track=track
    )[inspected.sha256]


# --- photos taken with the camera (issue 25) ----------------------------------------------

PHOTO_TYPES = ("image/jpeg", "image/png")
# The long side of a page made from a photo: a paper stays legible, and the page light.
PHOTO_LONG_SIDE = 2000
PHOTO_JPEG_QUALITY = 75
# 2000 pixels at 170 dpi are 29.9 cm, about the long side of an A4 page.
PHOTO_PDF_RESOLUTION = 170
# How photos can serve a document component.
PHOTOS_MERGE = "merge"  # the component takes PDF: the photos become one PDF
PHOTOS_SINGLE = "single"  # no PDF, but an image type: one photo, kept as it is
_IMAGE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    EOFError,
    MemoryError,
    Image.DecompressionBombError,
)


def photos_mode(accepted_types: list[str] | tuple[str, ...] | None) -> str | None:
    """How photos can serve a component accepting ``accepted_types``: `PHOTOS_MERGE`,
    `PHOTOS_SINGLE`, or None when it takes neither PDF nor any image."""
    accepted = tuple(accepted_types or DEFAULT_ACCEPTED)
    if "application/pdf" in accepted:
        return PHOTOS_MERGE
    if any(kind in accepted for kind in PHOTO_TYPES):
        return PHOTOS_SINGLE
    return None


def photos_count_problem(count: int) -> str | None:
    """The message when ``count`` photos are too many for one component (``DOCUMENT_PHOTOS_MAX``)."""
    limit = settings.DOCUMENT_PHOTOS_MAX
    if count <= limit:
        return None
    return _(
        "Mỗi giấy tờ nhận tối đa %(limit)d ảnh chụp; bạn đã gửi %(count)d ảnh. Hãy bỏ bớt ảnh, "
        "hoặc tải lên bản quét thành một tệp PDF."
    ) % {"limit": limit, "count": count}


def photo_size_problem(*, position: int, name: str, size: int) -> str | None:
    """The message when one photo is over ``DOCUMENT_PHOTO_MAX_SIZE`` (read before its bytes are)."""
    limit = settings.DOCUMENT_PHOTO_MAX_SIZE
    if size <= limit:
        return None
    shown, shown_limit = size_pair(size, limit)
    return _("Ảnh thứ %(position)d (“%(name)s”) có dung lượng %(size)s, vượt quá giới hạn %(limit)s cho mỗi ảnh.") % {
        "position": position,
        "name": name,
        "size": shown,
        "limit": shown_limit,
    }


def _photo_refused(message: str, code: str) -> ValidationError:
    return ValidationError(
        _("%(problem)s Chưa ảnh nào của giấy tờ này được lưu; hãy chụp hoặc chọn lại các ảnh.") % {"problem": message},
        code=code,
    )


def photos_check(photos: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Each photo checked as any upload is, by its bytes (a JPEG or PNG image, then the upload
    policy: pixel limits, polyglots, antivirus); the photos as they are to be kept. The first
    refused photo raises a ValidationError naming it and its position."""
    problem = photos_count_problem(len(photos))
    if problem:
        raise ValidationError(problem, code="too_many_photos")
    checked = []
    for position, (name, content) in enumerate(photos, 1):
        if not content:
            raise _photo_refused(
                _("Ảnh thứ %(position)d (“%(name)s”) rỗng.") % {"position": position, "name": name}, "empty"
            )
        problem = photo_size_problem(position=position, name=name, size=len(content))
        if problem:
            raise _photo_refused(problem, "too_large")
        mime_type = magic.from_buffer(content[:65536], mime=True)
        if mime_type not in PHOTO_TYPES:
            raise _photo_refused(
                _("Ảnh thứ %(position)d (“%(name)s”) không phải ảnh JPEG hay PNG (nội dung tệp là %(type)s).")
                % {"position": position, "name": name, "type": mime_type},
                "bad_type",
            )
        try:
            content = upload_check(name=name, content=content, mime_type=mime_type)
        except ValidationError as error:
            # The policy's messages about an image start with its quoted name: said once here.
            reason = " ".join(message.removeprefix(f"“{name}”: ") for message in error.messages)
            raise _photo_refused(
                _("Ảnh thứ %(position)d (“%(name)s”): %(reason)s")
                % {"position": position, "name": name, "reason": reason},
                error.code or "refused",
            ) from None
        checked.append((name, content))
    return checked


def _photo_page(content: bytes) -> Image.Image:
    """One photo as a page: upright, its long side at most PHOTO_LONG_SIDE, in RGB or grey."""
    with warnings.catch_warnings():
        # The pixel count was checked against UPLOAD_IMAGE_MAX_PIXELS by the upload policy.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            scale = min(1.0, PHOTO_LONG_SIDE / max(width, height, 1))
            # A JPEG is decoded straight at a reduced scale (1/2, 1/4, 1/8) no smaller than the page.
            image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            page = ImageOps.exif_transpose(image)
    page.thumbnail((PHOTO_LONG_SIDE, PHOTO_LONG_SIDE), Image.Resampling.LANCZOS)
    if page.mode in ("RGB", "L"):
        return page
    if page.mode in ("RGBA", "LA", "PA") or (page.mode == "P" and "transparency" in page.info):
        # A transparent background reads as white paper.
        rgba = page.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return page.convert("L" if page.mode in ("1", "I;16", "I", "F") else "RGB")


def photos_merge_pdf(photos: list[tuple[str, bytes]]) -> bytes:
    """One PDF of the photos, a page each in the order given: each page turned upright by its
    EXIF orientation, brought down to PHOTO_LONG_SIDE pixels on its long side and stored as a
    JPEG of quality PHOTO_JPEG_QUALITY. The photos are to have passed `photos_check`; one that
    still cannot be decoded raises a ValidationError naming it."""
    if not photos:
        raise ValueError("no photos to merge")
    pages = []
    for position, (name, content) in enumerate(photos, 1):
        try:
            pages.append(_photo_page(content))
        except _IMAGE_ERRORS:
            raise _photo_refused(
                _("Ảnh thứ %(position)d (“%(name)s”) bị hỏng hoặc không đọc được.")
                % {"position": position, "name": name},
                "bad_image",
            ) from None
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        "PDF",
        save_all=True,
        append_images=pages[1:],
        resolution=PHOTO_PDF_RESOLUTION,
        quality=PHOTO_JPEG_QUALITY,
        optimize=True,
    )
    return buffer.getvalue()


def photos_pdf_name(title: str) -> str:
    """The file name of the PDF made from a component's photos: ``giay-chung-sinh-anh-chup.pdf``."""
    # slugify drops what does not decompose to ASCII: đ must be turned to d first.
    slug = slugify(title.replace("đ", "d").replace("Đ", "D"))[:80].strip("-") or "giay-to"
    return f"{slug}-anh-chup.pdf"
