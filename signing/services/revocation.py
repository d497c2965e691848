"""Keeping the trust store's certificate revocation lists (CRLs) fresh.

The hourly beat task asks each active CA of the trust store for its latest CRL: at the address
stored with it (``crl_url``), else at the CRL distribution points named by the certificates it
issued that the portal holds (other trust-store entries, the signing identities and their
chains). A CRL is stored only when it is signed by that CA and newer than the one in use, so a
run repeated, or a mirror serving a stale copy, changes nothing. Each attempt records when it
last succeeded and, when every address failed, why.
"""

import dataclasses
import logging

import requests
from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signing.certificates import load_crl, pem_to_chain
from signing.models import SigningIdentity, TrustedCertificate
from signing.services.identities import crl_store

logger = logging.getLogger(__name__)

# National CAs publish CRLs of a few megabytes; anything far larger is not a CRL we want.
CRL_MAX_BYTES = 64 * 1024 * 1024


class CrlFetchError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class RefreshOutcome:
    trusted_id: int
    status: str  # "updated", "unchanged", "failed" or "no_url"
    error: str = ""


def _distribution_points(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    urls = []
    for point in points:
        for name in point.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith(
                ("http://", "https://")
            ):
                urls.append(name.value)
    return urls


def _issued_certificates() -> list[x509.Certificate]:
    """The certificates the portal holds whose issuer may be a CA of the trust store."""
    certs = []
    for der in TrustedCertificate.objects.values_list("certificate", flat=True):
        certs.append(x509.load_der_x509_certificate(bytes(der)))
    for der, chain in SigningIdentity.objects.filter(is_active=True).values_list("certificate", "chain"):
        certs.append(x509.load_der_x509_certificate(bytes(der)))
        try:
            certs.extend(pem_to_chain(bytes(chain)))
        except ValueError:
            continue
    return certs


def crl_urls(*, trusted: TrustedCertificate, issued: list[x509.Certificate] | None = None) -> list[str]:
    """Where the CA publishes its CRL: the stored address, else the distribution points that
    the certificates it issued name (most named first)."""
    if trusted.crl_url:
        return [trusted.crl_url]
    ca = x509.load_der_x509_certificate(bytes(trusted.certificate))
    counts: dict[str, int] = {}
    for cert in _issued_certificates() if issued is None else issued:
        if cert.issuer != ca.subject or cert == ca:
            continue
        for url in _distribution_points(cert):
            counts[url] = counts.get(url, 0) + 1
    return sorted(counts, key=lambda url: -counts[url])


def _fetch(url: str) -> bytes:
    try:
        with requests.get(url, timeout=settings.SIGNING_REVOCATION_TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                raise CrlFetchError(_("máy chủ trả lời mã %(status)s") % {"status": response.status_code})
            data = bytearray()
            for chunk in response.iter_content(chunk_size=64 * 1024):
                data += chunk
                if len(data) > CRL_MAX_BYTES:
                    raise CrlFetchError(_("tệp quá lớn"))
            return bytes(data)
    except requests.RequestException as exc:
        raise CrlFetchError(_("không kết nối được (%(kind)s)") % {"kind": type(exc).__name__}) from exc


def trusted_certificate_refresh_crl(*, trusted_id: int, issued: list[x509.Certificate] | None = None) -> RefreshOutcome:
    """Fetch the CA's latest CRL and store it when it is newer; never raises on a bad answer."""
    trusted = TrustedCertificate.objects.get(pk=trusted_id)
    urls = crl_urls(trusted=trusted, issued=issued)
    if not urls:
        return RefreshOutcome(trusted_id, "no_url")
    errors = []
    for url in urls:
        try:
            info = load_crl(_fetch(url), issuer_der=bytes(trusted.certificate))
        except (CrlFetchError, ValidationError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            errors.append(f"{url}: {message}")
            continue
        with transaction.atomic():
            locked = TrustedCertificate.objects.select_for_update().get(pk=trusted_id)
            locked.crl_refreshed_at = timezone.now()
            locked.crl_refresh_error = ""
            fields = ["crl_refreshed_at", "crl_refresh_error"]
            newer = locked.crl_this_update is None or info.this_update > locked.crl_this_update
            if newer:
                fields += crl_store(locked, info)
            locked.save(update_fields=fields)
        if newer:
            logger.info("CRL of trusted certificate %s refreshed (%s revoked)", trusted_id, info.revoked_count)
        return RefreshOutcome(trusted_id, "updated" if newer else "unchanged")
    error = " | ".join(errors)[:500]
    TrustedCertificate.objects.filter(pk=trusted_id).update(crl_refresh_error=error)
    logger.warning("CRL of trusted certificate %s not refreshed: %s", trusted_id, error)
    return RefreshOutcome(trusted_id, "failed", error)


def trusted_crls_refresh() -> list[RefreshOutcome]:
    """Refresh the CRL of every active CA of the trust store (nothing when fetching is off)."""
    if not settings.SIGNING_REVOCATION_FETCH:
        return []
    issued = _issued_certificates()
    return [
        trusted_certificate_refresh_crl(trusted_id=pk, issued=issued)
        for pk in TrustedCertificate.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    ]
