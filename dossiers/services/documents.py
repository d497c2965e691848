"""Uploaded files: checked by content, not by name, then kept in the applicant's store.

A file is accepted only when libmagic's reading of its bytes is one of the types the
document component allows, it fits the size limit, and it passes the upload policy
(`portal.upload_policy`: active content of PDFs, decompression and pixel limits, polyglots,
antivirus).
"""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

import magic
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

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
    (``fields`` as `stored_document_build`'s)."""
    doc = stored_document_build(inspected=inspected, **fields)
    doc.save()
    return doc
