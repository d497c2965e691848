"""Writes of the signing app. Other apps import from here and from `selectors` only."""

from .identities import (
    identity_import_pkcs12,
    identity_keys_rotate,
    identity_register_external,
    trusted_certificate_add,
    trusted_certificate_set_crl,
)
from .pdf import pdf_sign

__all__ = [
    "identity_import_pkcs12",
    "identity_keys_rotate",
    "identity_register_external",
    "pdf_sign",
    "trusted_certificate_add",
    "trusted_certificate_set_crl",
]
