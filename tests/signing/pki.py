"""A test PKI built with cryptography at test time: root, intermediate, signers, a revoked
signer (listed on the intermediate's CRL), a signer revoked only at the OCSP responder (its
certificate names no CRL), an untrusted root with its own signer, and a TSA.

Certificates issued by a CA of the chain point at ``base_url``: the in-process revocation server
of tests/signing/responder.py (OCSP at ``/ocsp``, each CA's CRL at ``/crl/<CA serial>.crl``)."""

import dataclasses
import datetime as dt
import io

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, org: str = "Tỉnh Demo") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(
    cn: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    org: str = "Tỉnh Demo",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    tsa: bool = False,
    signing: bool = True,
    base_url: str = "",
    crl_point: bool = True,
    ca_issuers_url: str = "",
) -> Issued:
    key = _key()
    subject = _name(cn, org)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        # Like the certificates of Vietnam's CAs, each names where its issuer publishes its CRL
        # and its OCSP responder: the local revocation server of the test.
        if base_url and crl_point:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(crl_url(base_url, issuer))],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        access = []
        if base_url:
            access.append(
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(f"{base_url}/ocsp")
                )
            )
        if ca_issuers_url:
            access.append(
                x509.AccessDescription(
                    AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers_url)
                )
            )
        if access:
            builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if ca:
        usage.update(key_cert_sign=True, crl_sign=True, digital_signature=True)
    elif signing:
        usage.update(digital_signature=True, content_commitment=True)
    else:
        usage.update(key_encipherment=True)
    builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    cert = builder.sign((issuer or Issued(key, None)).key, hashes.SHA256())
    return Issued(key=key, cert=cert)


def crl_url(base_url: str, issuer: Issued) -> str:
    return f"{base_url}/crl/{issuer.cert.serial_number:x}.crl"


def crl(
    issuer: Issued, revoked: list[Issued], *, last_update: dt.datetime | None = None
) -> x509.CertificateRevocationList:
    last_update = last_update or NOW - dt.timedelta(hours=1)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(last_update)
        .next_update(last_update + dt.timedelta(days=7))
    )
    for item in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(item.cert.serial_number)
            .revocation_date(NOW - dt.timedelta(hours=2))
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256())


def p12(item: Issued, chain: list[Issued], password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"test",
        item.key,
        item.cert,
        [c.cert for c in chain],
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption(),
    )


def two_page_pdf(text: str = "Kết quả giải quyết thủ tục hành chính") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclasses.dataclass
class TestPki:
    root: Issued
    intermediate: Issued
    signer: Issued
    officer: Issued
    revoked: Issued
    ocsp_revoked: Issued
    expiring: Issued
    tsa: Issued
    other_root: Issued
    stranger: Issued
    crl: x509.CertificateRevocationList
    base_url: str = ""
    responder: object = None

    def issued(self) -> list[tuple[Issued, Issued]]:
        """Every certificate with its issuer (the roots issue themselves)."""
        return [
            (self.root, self.root),
            (self.intermediate, self.root),
            (self.signer, self.intermediate),
            (self.officer, self.intermediate),
            (self.revoked, self.intermediate),
            (self.ocsp_revoked, self.intermediate),
            (self.expiring, self.intermediate),
            (self.tsa, self.root),
            (self.other_root, self.other_root),
            (self.stranger, self.other_root),
        ]


def build(base_url: str = "") -> TestPki:
    """The PKI; with ``base_url`` its certificates name the local revocation server there."""
    root = issue("Root CA thử nghiệm", ca=True)
    intermediate = issue("CA trung gian thử nghiệm", issuer=root, ca=True, base_url=base_url)
    revoked = issue("Chữ ký bị thu hồi", issuer=intermediate, base_url=base_url)
    other_root = issue("Root CA lạ", ca=True, org="Không rõ")
    return TestPki(
        root=root,
        intermediate=intermediate,
        signer=issue("Sở Tư pháp Tỉnh Demo", issuer=intermediate, org="Sở Tư pháp Tỉnh Demo", base_url=base_url),
        officer=issue("Nguyễn Văn Thành", issuer=intermediate, org="Sở Tư pháp Tỉnh Demo", base_url=base_url),
        revoked=revoked,
        # Revoked at the OCSP responder only: no CRL distribution point, on no CRL.
        ocsp_revoked=issue("Chữ ký thu hồi qua OCSP", issuer=intermediate, base_url=base_url, crl_point=False),
        expiring=issue(
            "Chữ ký sắp hết hạn", issuer=intermediate, not_after=NOW + dt.timedelta(days=10), base_url=base_url
        ),
        tsa=issue("TSA thử nghiệm", issuer=root, tsa=True, base_url=base_url),
        other_root=other_root,
        stranger=issue("Người ký lạ", issuer=other_root, org="Không rõ"),
        crl=crl(intermediate, [revoked]),
        base_url=base_url,
    )


def pem_to_list(data) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(bytes(data)) if data else []
