"""Verifying the signatures of a PDF that an applicant uploaded already signed, once per content.

The dossiers app passes the file's bytes with its stored document's id and hash; the verdict
(the worst of the file's signatures) is kept in ``UploadVerification`` for the officers' dossier
page. A PDF without a signature, or one that cannot be read, leaves no row: there is nothing
to show.
"""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from signing.constants import Verdict, pdf_may_carry_signatures
from signing.models import UploadVerification
from signing.selectors import upload_verification
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


def upload_signatures_verify(*, stored_document_id: int, sha256: str, pdf: bytes) -> UploadVerification | None:
    """Verify the signatures of ``pdf`` (the stored document's content, hash ``sha256``) and
    record the verdict, once per content; None when it carries none."""
    existing = upload_verification(stored_document_id=stored_document_id, sha256=sha256)
    if existing is not None:
        return existing
    if not pdf_may_carry_signatures(pdf):  # no signature dictionary at all: skip the parser
        return None
    try:
        reports = pdf_verify(pdf=pdf)
    except ValidationError as exc:
        logger.info("stored document %s: signatures not verified (%s)", stored_document_id, exc.code)
        return None
    verdict = min((r.verdict for r in reports), key=lambda v: SEVERITY.index(Verdict(v)))
    verification, _created = UploadVerification.objects.update_or_create(
        stored_document_id=stored_document_id,
        defaults={
            "sha256": sha256,
            "verdict": verdict,
            "signatures": [r.as_dict() for r in reports],
            "checked_at": timezone.now(),
        },
    )
    return verification
