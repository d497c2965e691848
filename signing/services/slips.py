"""Signing a released slip (phiếu) with the agency seal, in place, once.

Slips are ``dossiers.Slip`` rows with their own file, not documents of the store: the signed PDF
replaces the rendered one and ``Slip.context`` records ``signed_sha256`` (with the source's hash,
the identity and the time), which makes a retried task a no-op. Runs only in the signing worker:
it decrypts the agency's private key.
"""

import hashlib
import logging

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from signing.selectors import identity_for_agency
from signing.services.pdf import pdf_sign

logger = logging.getLogger(__name__)


def slip_sign(*, slip_id: int) -> bool:
    """Sign the slip's PDF with the receiving agency's seal; False when nothing was done."""
    Slip = apps.get_model("dossiers", "Slip")
    slip = Slip.objects.select_related("dossier__receiving_agency").filter(pk=slip_id).first()
    if slip is None or not slip.file or (slip.context or {}).get("signed_sha256"):
        return False
    agency = slip.dossier.receiving_agency
    identity = identity_for_agency(agency_id=agency.pk) if agency else None
    if identity is None:
        logger.info("slip %s: its agency has no seal, it stays unsigned", slip_id)
        return False
    with transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip_id)
        context = dict(locked.context or {})
        if not locked.file or context.get("signed_sha256"):
            return False
        with locked.file.open("rb") as handle:
            source = handle.read()
        signed = pdf_sign(pdf=source, identity_id=identity.pk, location=identity.agency.name)
        old_name, storage = locked.file.name, locked.file.storage
        locked.file.save(old_name.rsplit("/", 1)[-1], ContentFile(signed), save=False)
        context.update(
            signed_sha256=hashlib.sha256(signed).hexdigest(),
            source_sha256=hashlib.sha256(source).hexdigest(),
            signed_by_identity=identity.pk,
            signed_at=timezone.now().isoformat(),
        )
        locked.context = context
        locked.save(update_fields=["file", "context"])
        if old_name != locked.file.name:
            transaction.on_commit(lambda: storage.delete(old_name))
    return True
