"""Signing identities (agency seals and officers' certificates), the trust store, and the
record of documents the portal has signed."""

from .identity import SigningIdentity
from .signed import SignedDocument
from .trust import TrustedCertificate
from .upload import UploadVerification

__all__ = ["SignedDocument", "SigningIdentity", "TrustedCertificate", "UploadVerification"]
