"""Signing a document of the document store (kho giấy tờ) in place, once.

The stored file is replaced by its signed version and its SHA-256 and size updated; a
``SignedDocument`` row keyed by the document and the signed bytes' hash makes a retried task
a no-op. Runs only in the signing worker: it decrypts the agency's private key.
"""

import hashlib
import logging

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from signing.models import SignedDocument
from signing.selectors import identity_for_agency, result_code_for_stored_document
from signing.services.pdf import pdf_sign

logger = logging.getLogger(__name__)


def stored_document_sign(*, stored_document_id: int, agency_id: int, user_id: int | None = None) -> bool:
    """Sign the stored PDF for the agency (or its officer); False when nothing was done."""
    StoredDocument = apps.get_model("dossiers", "StoredDocument")
    user = None
    if user_id is not None:
        user = apps.get_model("portal", "User").objects.filter(pk=user_id).first()
    identity = identity_for_agency(agency_id=agency_id, user=user)
    if identity is None:
        logger.info("agency %s has no signing identity: document %s stays unsigned", agency_id, stored_document_id)
        return False
    with transaction.atomic():
        document = StoredDocument.objects.select_for_update().filter(pk=stored_document_id).first()
        if document is None:
            return False
        already = SignedDocument.objects.filter(stored_document=document)
        if (
            already.filter(sha256=document.sha256).exists()
            or already.filter(identity=identity, source_sha256=document.sha256).exists()
        ):
            return False
        with document.file.open("rb") as handle:
            source = handle.read()
        signed = pdf_sign(
            pdf=source,
            identity_id=identity.pk,
            reason="",
            location=identity.agency.name,
            result_code=result_code_for_stored_document(stored_document_id=document.pk),
        )
        digest = hashlib.sha256(signed).hexdigest()
        old_name = document.file.name
        storage = document.file.storage
        document.file.save(document.name, ContentFile(signed), save=False)
        document.sha256 = digest
        document.size = len(signed)
        document.save(update_fields=["file", "sha256", "size"])
        SignedDocument.objects.create(
            stored_document=document,
            identity=identity,
            source_sha256=hashlib.sha256(source).hexdigest(),
            sha256=digest,
            signed_at=timezone.now(),
        )
        if old_name != document.file.name:
            transaction.on_commit(lambda: storage.delete(old_name))
    return True
