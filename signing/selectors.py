"""Reads of the signing app: which identity signs for an agency, the trust store, what the
portal has signed and the verdicts on uploaded files, all by stored document id and hash.

Signing knows nothing of dossiers: the public record of a result (verification by code) is
the dossiers app's, built from `document_signatures`."""

import dataclasses
import datetime as dt

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.api import FetchLimits
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from signing.constants import IdentityKind
from signing.models import SignedDocument, SigningIdentity, TrustedCertificate, UploadVerification


def identity_for_agency(*, agency_id: int, user=None, user_id: int | None = None) -> SigningIdentity | None:
    """The user's (or ``user_id``'s) personal identity in that agency when there is one, else
    the agency seal."""
    active = SigningIdentity.objects.filter(agency_id=agency_id, is_active=True).order_by("-not_after", "-pk")
    if user_id is None:
        user_id = getattr(user, "pk", None)
    if user_id:
        personal = active.filter(kind=IdentityKind.OFFICER, user_id=user_id).first()
        if personal is not None:
            return personal
    return active.filter(kind=IdentityKind.AGENCY_SEAL).first()


def agency_has_seal(*, agency_id: int | None) -> bool:
    """Whether the agency has an active seal: no key is loaded, the web process may ask."""
    if agency_id is None:
        return False
    return SigningIdentity.objects.filter(agency_id=agency_id, is_active=True, kind=IdentityKind.AGENCY_SEAL).exists()


def upload_verifications(*, stored_document_ids) -> dict[int, UploadVerification]:
    """The signature verdicts of uploaded documents that carry signatures, by stored document id
    (only those checked for the file's current content)."""
    rows = UploadVerification.objects.filter(stored_document_id__in=list(stored_document_ids)).select_related(
        "stored_document"
    )
    return {row.stored_document_id: row for row in rows if row.sha256 == row.stored_document.sha256}


def trusted_certificates() -> list[TrustedCertificate]:
    return list(TrustedCertificate.objects.filter(is_active=True).order_by("pk"))


# Bounds on what one validation may ask of the network. Issuer certificates (AIA caIssuers) are
# never fetched: their URLs come from the file being checked, before anything is trusted, and
# the chains we accept are in the trust store or embedded in the signature anyway. OCSP and CRL
# URLs are only followed for certificates whose signature by a trusted CA has been checked.
REVOCATION_FETCH_LIMITS = FetchLimits(max_requests=12, max_cert_requests=0)


def revocation_fetcher_backend() -> RequestsFetcherBackend:
    """Plain blocking HTTP with a short timeout: the requests run in pyHanko's worker threads,
    with no event-loop-bound session to close."""
    return RequestsFetcherBackend(
        per_request_timeout=settings.SIGNING_REVOCATION_TIMEOUT, limits=REVOCATION_FETCH_LIMITS
    )


def validation_context(*, allow_fetching: bool | None = None, extra_certs=()) -> ValidationContext:
    """A validation context whose roots are the active trust store (Vietnam's root CAs in production),
    with the CRLs the administrator uploaded or the refresh task fetched for its CAs, so a listed
    signer is reported revoked. With fetching (``SIGNING_REVOCATION_FETCH`` unless told), the
    OCSP responders and CRL distribution points the chain's certificates name are asked too;
    a service that does not answer is skipped (soft-fail)."""
    if allow_fetching is None:
        allow_fetching = settings.SIGNING_REVOCATION_FETCH
    roots, others, crls = [], list(extra_certs), []
    for trusted in trusted_certificates():
        cert = asn1_x509.Certificate.load(bytes(trusted.certificate))
        (roots if trusted.is_root else others).append(cert)
        if bytes(trusted.crl):
            crls.append(asn1_crl.CertificateList.load(bytes(trusted.crl)))
    return ValidationContext(
        trust_roots=roots,
        other_certs=others,
        crls=crls,
        allow_fetching=allow_fetching,
        fetcher_backend=revocation_fetcher_backend() if allow_fetching else None,
        revocation_mode="soft-fail",
    )


def stored_document_is_signed(*, stored_document_id: int, sha256: str) -> bool:
    """Whether the stored document's current content is the output of one of our signatures."""
    return SignedDocument.objects.filter(stored_document_id=stored_document_id, sha256=sha256).exists()


def stored_document_signed_by(*, stored_document_id: int, sha256: str, identity_id: int) -> bool:
    """Whether content ``sha256`` of the stored document is already one of our signatures'
    output, or was already signed by that identity: signing it again would sign twice."""
    already = SignedDocument.objects.filter(stored_document_id=stored_document_id)
    return (
        already.filter(sha256=sha256).exists() or already.filter(identity_id=identity_id, source_sha256=sha256).exists()
    )


@dataclasses.dataclass(frozen=True)
class SignatureRecord:
    signer: str
    agency: str
    signed_at: dt.datetime


def document_signatures(*, stored_document_id: int) -> list[SignatureRecord]:
    """Who signed the stored document for the portal, in signing order."""
    rows = (
        SignedDocument.objects.filter(stored_document_id=stored_document_id)
        .select_related("identity__agency")
        .order_by("signed_at", "pk")
    )
    return [
        SignatureRecord(signer=row.identity.display_name, agency=row.identity.agency.name, signed_at=row.signed_at)
        for row in rows
    ]


def upload_verification(*, stored_document_id: int, sha256: str) -> UploadVerification | None:
    """The verdict already recorded for this content of the stored document, if any."""
    return UploadVerification.objects.filter(stored_document_id=stored_document_id, sha256=sha256).first()
