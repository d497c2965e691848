"""Reads of the signing app: which identity signs for an agency, and the trust store."""

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

from signing.constants import IdentityKind
from signing.models import SigningIdentity, TrustedCertificate


def identity_for_agency(*, agency_id: int, user=None) -> SigningIdentity | None:
    """The user's personal identity in that agency when there is one, else the agency seal."""
    active = SigningIdentity.objects.filter(agency_id=agency_id, is_active=True).order_by("-not_after", "-pk")
    if user is not None and getattr(user, "pk", None):
        personal = active.filter(kind=IdentityKind.OFFICER, user_id=user.pk).first()
        if personal is not None:
            return personal
    return active.filter(kind=IdentityKind.AGENCY_SEAL).first()


def trusted_certificates() -> list[TrustedCertificate]:
    return list(TrustedCertificate.objects.filter(is_active=True).order_by("pk"))


def validation_context(*, allow_fetching: bool = False, extra_certs=()) -> ValidationContext:
    """A validation context whose roots are the active trust store (Vietnam's root CAs in production)."""
    roots, others = [], list(extra_certs)
    for trusted in trusted_certificates():
        cert = asn1_x509.Certificate.load(bytes(trusted.certificate))
        (roots if trusted.is_root else others).append(cert)
    return ValidationContext(
        trust_roots=roots,
        other_certs=others,
        allow_fetching=allow_fetching,
        revocation_mode="soft-fail",
    )


def agency_signs(*, agency_id: int) -> bool:
    """Whether the agency has an active seal, so its released results must be signed first."""
    return SigningIdentity.objects.filter(agency_id=agency_id, is_active=True, kind=IdentityKind.AGENCY_SEAL).exists()


def stored_document_is_signed(*, stored_document_id: int, sha256: str) -> bool:
    """Whether the stored document's current content is the output of one of our signatures."""
    from signing.models import SignedDocument

    return SignedDocument.objects.filter(stored_document_id=stored_document_id, sha256=sha256).exists()
