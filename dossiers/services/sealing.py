"""Signatures on the dossier's files: the agency seal on released slips, the signature of stored
documents (results, e-receipts), and the verdict on uploaded signed PDFs, each once.

The dossiers side of the signing pipelines (`dossiers.core.pipelines`): it locks its own row,
reads its own file, hands the bytes to signing's public face (`signing.services`,
`signing.selectors`), writes the signed bytes back and records them. Signing and sealing run
in the signing worker only (their tasks are routed to the ``signing`` queue): they decrypt
the agency's private key.
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from dossiers.models import DossierResult, Payment, Slip, StoredDocument
from portal.storage import files_kept_only_if_committed
from signing import selectors as signing_selectors
from signing import services as signing_services

logger = logging.getLogger(__name__)


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def slip_seal(*, slip_id: int) -> bool:
    """Sign the slip's PDF with the receiving agency's seal, in place; False when nothing was done.

    ``Slip.context`` records ``signed_sha256`` (with the source's hash, the identity and the
    time), which makes a second run a no-op."""
    slip = Slip.objects.select_related("dossier").filter(pk=slip_id).first()
    if slip is None or not slip.file or (slip.context or {}).get("signed_sha256"):
        return False
    agency_id = slip.dossier.receiving_agency_id
    identity = signing_selectors.identity_for_agency(agency_id=agency_id) if agency_id else None
    if identity is None:
        logger.info("slip %s: its agency has no seal, it stays unsigned", slip_id)
        return False
    with files_kept_only_if_committed() as track, transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip_id)
        context = dict(locked.context or {})
        if not locked.file or context.get("signed_sha256"):
            return False
        signature = signing_services.agency_pdf_sign(pdf=_read(locked.file), identity_id=identity.pk)
        old_name, storage = locked.file.name, locked.file.storage
        locked.file.save(old_name.rsplit("/", 1)[-1], ContentFile(signature.pdf), save=False)
        if locked.file.name != old_name:
            track(locked.file, replaces=old_name)
        context.update(
            signed_sha256=signature.sha256,
            source_sha256=signature.source_sha256,
            signed_by_identity=signature.identity_id,
            signed_at=signature.signed_at.isoformat(),
        )
        locked.context = context
        locked.save(update_fields=["file", "context"])
        if old_name != locked.file.name:
            transaction.on_commit(lambda: storage.delete(old_name))
    return True


def _record_url(stored_document_id: int) -> str:
    """The public record of the result whose file this is (``/verify/<code>/``), else ""."""
    code = DossierResult.objects.filter(stored_id=stored_document_id).values_list("code", flat=True).first()
    if not code:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse("dossiers:verify_code", args=[code])


def stored_document_sign(*, stored_document_id: int, agency_id: int, user_id: int | None = None) -> bool:
    """Sign the stored PDF for the agency (or its officer ``user_id``) in place; False when
    nothing was done. The file is replaced by its signed version and its SHA-256 and size
    updated; the signature's record makes a second run a no-op."""
    identity = signing_selectors.identity_for_agency(agency_id=agency_id, user_id=user_id)
    if identity is None:
        logger.info("agency %s has no signing identity: document %s stays unsigned", agency_id, stored_document_id)
        return False
    with files_kept_only_if_committed() as track, transaction.atomic():
        document = StoredDocument.objects.select_for_update().filter(pk=stored_document_id).first()
        if document is None or signing_selectors.stored_document_signed_by(
            stored_document_id=document.pk, sha256=document.sha256, identity_id=identity.pk
        ):
            return False
        signature = signing_services.agency_pdf_sign(
            pdf=_read(document.file), identity_id=identity.pk, record_url=_record_url(document.pk)
        )
        old_name, storage = document.file.name, document.file.storage
        document.file.save(document.name, ContentFile(signature.pdf), save=False)
        if document.file.name != old_name:
            track(document.file, replaces=old_name)
        document.sha256 = signature.sha256
        document.size = len(signature.pdf)
        document.save(update_fields=["file", "sha256", "size"])
        signing_services.signed_document_record(stored_document_id=document.pk, signature=signature)
        if old_name != document.file.name:
            transaction.on_commit(lambda: storage.delete(old_name))
    return True


def stored_document_verify_signatures(*, stored_document_id: int):
    """Verify the stored PDF's signatures and record the verdict (`signing.models.UploadVerification`);
    None when it has none."""
    document = StoredDocument.objects.filter(pk=stored_document_id).first()
    if document is None or document.mime_type != "application/pdf":
        return None
    # Known content: no need to read the file again.
    existing = signing_selectors.upload_verification(stored_document_id=document.pk, sha256=document.sha256)
    if existing is not None:
        return existing
    return signing_services.upload_signatures_verify(
        stored_document_id=document.pk, sha256=document.sha256, pdf=_read(document.file)
    )


def payment_receipt_seal(*, payment_id: int) -> bool:
    """Seal the payment's e-receipt (biên lai điện tử) for the receiving agency; False when
    nothing was done (no receipt, no seal, already sealed)."""
    row = Payment.objects.filter(pk=payment_id).values("receipt_id", "dossier__receiving_agency_id").first()
    if row is None or row["receipt_id"] is None:
        return False
    return stored_document_sign(stored_document_id=row["receipt_id"], agency_id=row["dossier__receiving_agency_id"])
