"""Signer backends: one interface, three ways to reach a private key.

``backend_for(identity).sign_pdf(...)`` signs one PDF incrementally, whatever holds the key:

- ``LocalKeyBackend``: the key is stored encrypted in the database and decrypted only in the
  signing worker. The parsed key is kept in the worker between documents: pyHanko's
  ``SimpleSigner`` re-parses (and re-checks) the RSA key on every signature, ~80 ms.
- ``Pkcs11Backend``: a token or HSM through pyHanko's PKCS#11 signer (SoftHSM2 in tests).
- ``RemoteBackend``: two-phase signing. The document digest and the signed attributes are
  prepared here, an external service signs the hash of the signed attributes (CSC API
  ``signatures/signHash`` style), and the document is finished with the returned value.

Every pyHanko entry point used here runs its own event loop (``asyncio.run``): call them from
plain synchronous code (the Celery worker), never from inside a running loop.
"""

import asyncio
import hashlib
import io
import threading
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.certificates import pem_to_chain
from signing.constants import SignerBackendKind
from signing.crypto import decrypt_secret

# Bytes reserved for the CMS signature in the PDF: room for an RSA-4096 signature, the chain,
# signed attributes and a timestamp token. Reserving up front spares pyHanko a dry-run
# signature to measure it.
BYTES_RESERVED = 16 * 1024


def _asn1_cert(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(der))


def _registry(identity) -> SimpleCertificateStore:
    return SimpleCertificateStore.from_certs(
        [_asn1_cert(c.public_bytes(serialization.Encoding.DER)) for c in pem_to_chain(identity.chain)]
    )


class CachedKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that parses its key once and reuses the parsed key for every signature."""

    def __init__(self, *, signing_cert, key_der: bytes, cert_registry):
        super().__init__(
            signing_cert=signing_cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=cert_registry,
        )
        self._parsed_key = serialization.load_der_private_key(key_der, password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism["algorithm"].native
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._parsed_key
        if isinstance(key, RSAPrivateKey) and algo in ("rsassa_pkcs1v15", f"{digest_algorithm}_rsa"):
            return key.sign(data, PKCS1v15(), hash_algo)
        if isinstance(key, EllipticCurvePrivateKey) and algo.endswith("ecdsa"):
            return key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS and the rest: pyHanko's own path


class SignerBackend(Protocol):
    def sign_pdf(self, *, writer: IncrementalPdfFileWriter, signer_args: dict, text_params: dict) -> bytes: ...


class _SignerBasedBackend:
    """Backends whose key can sign synchronously inside pyHanko's own signing call."""

    def signer(self) -> signers.Signer:  # pragma: no cover - abstract
        raise NotImplementedError

    def sign_pdf(self, *, writer: IncrementalPdfFileWriter, signer_args: dict, text_params: dict) -> bytes:
        pdf_signer = signers.PdfSigner(signer=self.signer(), **signer_args)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=BYTES_RESERVED, appearance_text_params=text_params)
        return out.getvalue()


# Parsed local signers of this worker process, keyed by identity and the stored key blob:
# a rotated or replaced key gives a new key, so a stale entry is never used.
_LOCAL_SIGNERS: dict[tuple[int, str], CachedKeySigner] = {}
_LOCAL_LOCK = threading.Lock()


class LocalKeyBackend(_SignerBasedBackend):
    def __init__(self, identity):
        self.identity = identity

    def signer(self) -> CachedKeySigner:
        identity = self.identity
        blob = bytes(identity.encrypted_private_key)
        if not blob:
            raise ImproperlyConfigured(f"Signing identity {identity.pk} has no stored private key.")
        cache_key = (identity.pk, hashlib.sha256(blob).hexdigest())
        signer = _LOCAL_SIGNERS.get(cache_key)
        if signer is None:
            signer = CachedKeySigner(
                signing_cert=_asn1_cert(identity.certificate),
                key_der=decrypt_secret(blob),
                cert_registry=_registry(identity),
            )
            with _LOCAL_LOCK:
                for stale in [k for k in _LOCAL_SIGNERS if k[0] == identity.pk]:
                    del _LOCAL_SIGNERS[stale]
                _LOCAL_SIGNERS[cache_key] = signer
        return signer


def forget_cached_signers() -> None:
    with _LOCAL_LOCK:
        _LOCAL_SIGNERS.clear()


class Pkcs11Backend:
    """A key on a PKCS#11 token. ``backend_config``: module, token_label, key_label (cert_label)."""

    def __init__(self, identity):
        self.identity = identity

    def sign_pdf(self, *, writer: IncrementalPdfFileWriter, signer_args: dict, text_params: dict) -> bytes:
        # Imported only where a token signs: pyHanko's PKCS#11 layer takes about a second to import.
        from pyhanko.sign import pkcs11 as hanko_pkcs11  # noqa: PLC0415 - about a second to import; only tokens need it

        config = self.identity.backend_config or {}
        module = config.get("module") or ""
        pin = decrypt_secret(self.identity.encrypted_pin).decode() if bytes(self.identity.encrypted_pin) else None
        session = hanko_pkcs11.open_pkcs11_session(
            module, token_criteria=hanko_pkcs11.TokenCriteria(label=config.get("token_label")), user_pin=pin
        )
        try:
            signer = hanko_pkcs11.PKCS11Signer(
                session,
                key_label=config.get("key_label"),
                signing_cert=_asn1_cert(self.identity.certificate),
                other_certs_to_pull=(),
                ca_chain=[
                    _asn1_cert(c.public_bytes(serialization.Encoding.DER)) for c in pem_to_chain(self.identity.chain)
                ],
            )
            pdf_signer = signers.PdfSigner(signer=signer, **signer_args)
            out = io.BytesIO()
            pdf_signer.sign_pdf(writer, output=out, bytes_reserved=BYTES_RESERVED, appearance_text_params=text_params)
            return out.getvalue()
        finally:
            session.close()


class RemoteSigningClient(Protocol):
    """What the remote backend needs from an external signing service (e.g. a CSC API client)."""

    def sign_hash(self, *, credential_id: str, digest: bytes, digest_algorithm: str) -> bytes:
        """The raw signature value (PKCS#1 v1.5 for RSA) over an already computed digest."""


def remote_client() -> RemoteSigningClient:
    if not settings.SIGNING_REMOTE_CLIENT:
        raise ImproperlyConfigured("SIGNING_REMOTE_CLIENT is not set: remote signing is unavailable.")
    return import_string(settings.SIGNING_REMOTE_CLIENT)()


class RemoteBackend:
    def __init__(self, identity, client: RemoteSigningClient | None = None):
        self.identity = identity
        self.client = client

    def sign_pdf(self, *, writer: IncrementalPdfFileWriter, signer_args: dict, text_params: dict) -> bytes:
        return asyncio.run(self._sign(writer=writer, signer_args=signer_args, text_params=text_params))

    async def _sign(self, *, writer, signer_args: dict, text_params: dict) -> bytes:
        client = self.client or remote_client()
        credential_id = (self.identity.backend_config or {}).get("credential_id", "")
        cert = _asn1_cert(self.identity.certificate)
        registry = _registry(self.identity)
        timestamper = signer_args.get("timestamper")
        # Phase 1: the document with its signature placeholder, and its digest.
        placeholder = signers.ExternalSigner(signing_cert=cert, cert_registry=registry, signature_value=512)
        pdf_signer = signers.PdfSigner(signer=placeholder, **signer_args)
        prep_digest, tbs_document, output = await pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=BYTES_RESERVED, appearance_text_params=text_params, output=io.BytesIO()
        )
        post_sign = tbs_document.post_sign_instructions
        digest_algorithm = pdf_signer.signature_meta.md_algorithm or "sha256"
        signed_attrs = await placeholder.signed_attrs(prep_digest.document_digest, digest_algorithm, use_pades=True)
        # Phase 2: the external service signs the hash of the signed attributes.
        to_sign = hashlib.new(digest_algorithm, signed_attrs.dump()).digest()
        value = client.sign_hash(credential_id=credential_id, digest=to_sign, digest_algorithm=digest_algorithm)
        # Phase 3: the CMS with the returned value, written into the reserved space.
        final = signers.ExternalSigner(signing_cert=cert, cert_registry=registry, signature_value=value)
        cms = await final.async_sign_prescribed_attributes(
            digest_algorithm, signed_attrs=signed_attrs, timestamper=timestamper
        )
        await PdfTBSDocument.async_finish_signing(output, prep_digest, cms, post_sign_instr=post_sign)
        return output.getvalue()


def backend_for(identity) -> SignerBackend:
    if identity.backend == SignerBackendKind.PKCS11:
        return Pkcs11Backend(identity)
    if identity.backend == SignerBackendKind.REMOTE:
        return RemoteBackend(identity)
    return LocalKeyBackend(identity)
