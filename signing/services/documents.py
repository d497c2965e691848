"""Signing a PDF for an agency: the signed bytes, and the record that makes a retry a no-op.

Signing takes bytes and ids, never a dossier's rows: the dossiers app reads and locks its own
document, passes the bytes here and writes the signed bytes back. ``SignedDocument``, keyed by
the stored document's id and the hashes before and after, lets the next attempt see the work
done (`signing.selectors.stored_document_signed_by`). Runs only in the signing worker: it
decrypts the agency's private key.
"""

import dataclasses
import datetime as dt
import hashlib

from django.utils import timezone

from portal.metrics import SIGNATURE_SECONDS, observe
from signing.models import SignedDocument, SigningIdentity
from signing.services.pdf import pdf_sign


@dataclasses.dataclass(frozen=True)
class AgencySignature:
    """A PDF signed by one identity: the signed bytes, and the hashes before and after."""

    pdf: bytes
    identity_id: int
    source_sha256: str
    sha256: str
    signed_at: dt.datetime


def agency_pdf_sign(*, pdf: bytes, identity_id: int, record_url: str = "") -> AgencySignature:
    """Sign ``pdf`` with the identity (see `signing.selectors.identity_for_agency`), located at
    its agency; ``record_url`` is where the stamp's QR code leads (the upload page when empty).
    Raises ValidationError on a PDF that cannot be signed."""
    identity = SigningIdentity.objects.select_related("agency").get(pk=identity_id)
    with observe(SIGNATURE_SECONDS):
        signed = pdf_sign(pdf=pdf, identity_id=identity.pk, location=identity.agency.name, record_url=record_url)
    return AgencySignature(
        pdf=signed,
        identity_id=identity.pk,
        source_sha256=hashlib.sha256(pdf).hexdigest(),
        sha256=hashlib.sha256(signed).hexdigest(),
        signed_at=timezone.now(),
    )


def signed_document_record(*, stored_document_id: int, signature: AgencySignature) -> SignedDocument:
    """Record that the stored document now holds ``signature``'s output (in the caller's
    transaction, with the file written)."""
    return SignedDocument.objects.create(
        stored_document_id=stored_document_id,
        identity_id=signature.identity_id,
        source_sha256=signature.source_sha256,
        sha256=signature.sha256,
        signed_at=signature.signed_at,
    )
