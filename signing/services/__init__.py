"""Writes of the signing app. Other apps import from here and from `selectors` only."""

from .documents import AgencySignature, agency_pdf_sign, signed_document_record
from .identities import (
    identity_import_pkcs12,
    identity_keys_rotate,
    identity_register_external,
    trusted_certificate_add,
    trusted_certificate_set_crl,
)
from .pdf import pdf_sign
from .uploads import upload_signatures_verify
from .verification import pdf_verify

__all__ = [
    "AgencySignature",
    "agency_pdf_sign",
    "identity_import_pkcs12",
    "identity_keys_rotate",
    "identity_register_external",
    "pdf_sign",
    "pdf_verify",
    "signed_document_record",
    "trusted_certificate_add",
    "trusted_certificate_set_crl",
    "upload_signatures_verify",
]
