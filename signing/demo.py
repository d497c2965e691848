"""Demo signing identities for ``seed_demo``: a demo root CA in the trust store and a seal for
each agency the demo officers serve, so results are signed in ``make run`` as in production.

The demo CA is made on the spot with ``cryptography`` (nothing is downloaded) and is plainly
named as a demo; production never runs this (``seed_demo`` refuses production settings).
"""

import datetime as dt
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from procedures.selectors import agency_list
from signing.constants import IdentityKind
from signing.models import SigningIdentity, TrustedCertificate
from signing.services import identity_import_pkcs12, trusted_certificate_add

DEMO_AGENCIES = ("000.00.12.H99", "000.01.21.H99")
ROOT_NAME = "CA thử nghiệm Tỉnh Demo (không dùng thật)"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(subject: x509.Name, key, issuer_name: x509.Name, issuer_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def seed(*, stdout=None) -> None:
    agencies = [
        a
        for a in agency_list(active_only=False).filter(code__in=DEMO_AGENCIES)
        if not SigningIdentity.objects.filter(agency=a, kind=IdentityKind.AGENCY_SEAL, is_active=True).exists()
    ]
    if not agencies:
        return
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _issue(_name(ROOT_NAME), root_key, _name(ROOT_NAME), root_key, ca=True)
    if not TrustedCertificate.objects.filter(name=ROOT_NAME).exists():
        trusted_certificate_add(data=root.public_bytes(serialization.Encoding.PEM), name=ROOT_NAME)
    else:
        # An earlier demo root signed the other seals; a new one joins the trust store.
        trusted_certificate_add(data=root.public_bytes(serialization.Encoding.PEM), name=f"{ROOT_NAME} #2")
    for agency in agencies:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _issue(_name(agency.name[:64]), key, root.subject, root_key, ca=False)
        password = secrets.token_urlsafe(16)
        bundle = pkcs12.serialize_key_and_certificates(
            b"demo", key, cert, [root], serialization.BestAvailableEncryption(password.encode())
        )
        identity_import_pkcs12(data=bundle, password=password, agency=agency, display_name=agency.name)
        if stdout is not None:
            stdout.write(f"Chữ ký số mẫu / demo seal: {agency.name}")
