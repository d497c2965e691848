"""Benchmark of PAdES B-B signing: RSA-2048, a 2-page PDF, invisible signature, one core.

Self-contained: a throw-away certificate and key made with cryptography, the production
signer class (parsed key kept between documents, signature size reserved up front), no
database. Target: at least 40 signatures per second. ``run(smoke=True)`` signs a couple.
"""

import datetime as dt
import io
import json
import time

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfWriter

from signing.backends import BYTES_RESERVED, CachedKeySigner


def _material():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cơ quan thử nghiệm")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.DER), key_der


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def run(smoke: bool) -> dict:
    cert_der, key_der = _material()
    pdf = _pdf()
    signer = CachedKeySigner(
        signing_cert=asn1_x509.Certificate.load(cert_der), key_der=key_der, cert_registry=SimpleCertificateStore()
    )

    def sign_once() -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
        )
        pdf_signer = signers.PdfSigner(meta, signer=signer, new_field_spec=fields.SigFieldSpec("Signature1"))
        out = io.BytesIO()
        pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out, bytes_reserved=BYTES_RESERVED)
        return out.getvalue()

    sign_once()  # warm-up: imports and first-call caches
    count = 3 if smoke else 200
    started = time.perf_counter()
    for _ in range(count):
        signed = sign_once()
    total = time.perf_counter() - started
    rate = count / total
    return {
        "signatures": count,
        "total_seconds": round(total, 3),
        "signatures_per_second": round(rate, 1),
        "mean_ms": round(total / count * 1000, 2),
        "signed_pdf_bytes": len(signed),
        "target_per_second": 40,
        "meets_target": rate >= 40,
    }


def child(*argv: str) -> None:
    """``python -m bench.child bench.bench_signing [--smoke]``: this benchmark alone."""
    print(json.dumps(run(smoke="--smoke" in argv), indent=2))
