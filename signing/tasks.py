"""Celery tasks of the signing app (queue ``signing``); each takes ids and does nothing twice.

Only the signing worker runs these: they are the only code that decrypts private keys.
"""

from celery import shared_task


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def sign_stored_document(self, stored_document_id: int, agency_id: int, user_id: int | None = None) -> bool:
    """Enqueued by the workflow when a result or slip is released: sign the stored PDF, once."""
    from signing.services.documents import stored_document_sign

    return stored_document_sign(stored_document_id=stored_document_id, agency_id=agency_id, user_id=user_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def sign_slip(self, slip_id: int) -> bool:
    """Enqueued when a slip released to the applicant is rendered: seal it, once."""
    from dossiers.constants import SlipKind
    from dossiers.models import Slip
    from signing.services.slips import slip_sign

    signed = slip_sign(slip_id=slip_id)
    # The acknowledgement's mail waited for the seal: send it now (once; it records the sending).
    slip = Slip.objects.filter(pk=slip_id, kind=SlipKind.ACKNOWLEDGEMENT).only("context").first()
    if slip is not None and (slip.context or {}).get("signed_sha256") and not slip.context.get("emailed_at"):
        from dossiers.tasks import send_acknowledgement

        send_acknowledgement.apply_async(args=[slip_id], queue="notifications")
    return signed


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def verify_uploaded_signatures(self, stored_document_id: int) -> bool:
    """Enqueued when an uploaded PDF is attached to a dossier: record its signatures' verdict."""
    from signing.services.uploads import stored_document_verify_signatures

    return stored_document_verify_signatures(stored_document_id=stored_document_id) is not None


@shared_task
def warn_expiring_certificates() -> int:
    """Daily (beat): warn agency administrators of certificates expiring within 30 days, once each."""
    from signing.services.expiry import identities_warn_expiring

    return identities_warn_expiring()


@shared_task
def refresh_crls() -> int:
    """Hourly (beat): fetch each trust-store CA's latest CRL; returns how many were replaced."""
    from signing.services.revocation import trusted_crls_refresh

    return sum(1 for outcome in trusted_crls_refresh() if outcome.status == "updated")
