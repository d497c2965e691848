"""Celery tasks of the signing app (queue ``signing``): its own upkeep, on the beat's clock.

Signing a dossier's slips, results and receipts, and verifying its uploads, are steps of the
dossiers app's pipelines (`dossiers.core.pipelines`), which call this app's services with
bytes and ids.
"""

from celery import shared_task

from signing.services.expiry import identities_warn_expiring
from signing.services.revocation import trusted_crls_refresh


@shared_task
def warn_expiring_certificates() -> int:
    """Daily (beat): warn agency administrators of certificates expiring within 30 days, once each."""
    return identities_warn_expiring()


@shared_task
def refresh_crls() -> int:
    """Hourly (beat): fetch each trust-store CA's latest CRL; returns how many were replaced."""
    return sum(1 for outcome in trusted_crls_refresh() if outcome.status == "updated")
