"""Verifying the signatures of a PDF that an applicant uploaded already signed, once per content.

The signing queue runs this after the upload commits; the verdict (the worst of the file's
signatures) is kept in ``UploadVerification`` for the officers' dossier page. A PDF without a
signature, or one that cannot be read, leaves no row: there is nothing to show.
"""

import logging

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from signing.constants import Verdict, pdf_may_carry_signatures
from signing.models import UploadVerification
from signing.services.verification import pdf_verify

logger = logging.getLogger(__name__)

# Worst first: the overall verdict of a file is its worst signature's.
SEVERITY = [
    Verdict.MODIFIED,
    Verdict.REVOKED,
    Verdict.UNTRUSTED,
    Verdict.INDETERMINATE,
    Verdict.VALID_LATER_SIGNED,
    Verdict.VALID,
]


def stored_document_verify_signatures(*, stored_document_id: int) -> UploadVerification | None:
    """Verify the stored PDF's signatures and record the verdict; None when it has none."""
    StoredDocument = apps.get_model("dossiers", "StoredDocument")
    document = StoredDocument.objects.filter(pk=stored_document_id).first()
    if document is None or document.mime_type != "application/pdf":
        return None
    existing = UploadVerification.objects.filter(stored_document=document, sha256=document.sha256).first()
    if existing is not None:
        return existing
    with document.file.open("rb") as handle:
        pdf = handle.read()
    if not pdf_may_carry_signatures(pdf):  # no signature dictionary at all: skip the parser
        return None
    try:
        reports = pdf_verify(pdf=pdf)
    except ValidationError as exc:
        logger.info("stored document %s: signatures not verified (%s)", stored_document_id, exc.code)
        return None
    verdict = min((r.verdict for r in reports), key=lambda v: SEVERITY.index(Verdict(v)))
    verification, _created = UploadVerification.objects.update_or_create(
        stored_document=document,
        defaults={
            "sha256": document.sha256,
            "verdict": verdict,
            "signatures": [r.as_dict() for r in reports],
            "checked_at": timezone.now(),
        },
    )
    return verification
