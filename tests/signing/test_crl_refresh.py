"""The hourly refresh of the trust store's CRLs (beat task ``signing.tasks.refresh_crls``),
against the test PKI's local CRL distribution point on 127.0.0.1: where the URL comes from,
that a newer CRL replaces the stored one and a repeated run changes nothing, and that a failed
fetch is recorded without touching the CRL in use."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings as django_settings

from signing import tasks
from signing.models import TrustedCertificate
from signing.services import pdf_sign, trusted_certificate_set_crl
from signing.services.revocation import crl_urls
from signing.services.verification import pdf_verify
from tests.signing import pki as test_pki

pytestmark = pytest.mark.django_db


def _der(crl) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)


def _name(issuer) -> str:
    return f"{issuer.cert.serial_number:x}"


def test_the_task_is_scheduled_hourly():
    (entry,) = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "signing.tasks.refresh_crls"]
    assert entry["schedule"].minute == {17} and len(entry["schedule"].hour) == 24


def test_urls_come_from_the_distribution_points_of_the_certificates_the_ca_issued(pki, trust_store, seal):
    root, intermediate = trust_store
    # The seal (issued by the intermediate) names the intermediate's CRL; the intermediate
    # (issued by the root) names the root's.
    assert crl_urls(trusted=intermediate) == [test_pki.crl_url(pki.base_url, pki.intermediate)]
    assert crl_urls(trusted=root) == [test_pki.crl_url(pki.base_url, pki.root)]
    intermediate.crl_url = "http://127.0.0.1:9/ca.crl"
    assert crl_urls(trusted=intermediate) == ["http://127.0.0.1:9/ca.crl"]


def test_a_fresh_crl_is_fetched_stored_and_used(
    pki, trust_store, seal, agency, import_identity, two_page_pdf, responder
):
    root, intermediate = trust_store
    fresh = test_pki.crl(pki.intermediate, [pki.revoked, pki.ocsp_revoked], last_update=test_pki.NOW)
    assert not bytes(intermediate.crl)
    responder.state.crls[_name(pki.intermediate)] = _der(fresh)

    assert tasks.refresh_crls.apply().get() == 2  # the intermediate's and the root's

    intermediate.refresh_from_db()
    assert bytes(intermediate.crl) == _der(fresh)
    assert intermediate.crl_revoked_count == 2
    assert intermediate.crl_next_update == fresh.next_update_utc
    assert intermediate.crl_refreshed_at is not None and intermediate.crl_refresh_error == ""
    root.refresh_from_db()
    assert bytes(root.crl) and root.crl_revoked_count == 0
    assert f"GET /crl/{_name(pki.intermediate)}.crl" in responder.state.requests

    # Used from the store with no revocation service reachable: the revoked signer, unknown to
    # the trust store before the refresh, is now reported revoked.
    revoked = import_identity(pki.revoked, agency=agency)
    signed = pdf_sign(pdf=two_page_pdf, identity_id=revoked.pk)
    responder.state.up = False
    (report,) = pdf_verify(pdf=signed)
    assert report.verdict == "revoked"


def test_without_the_refresh_that_signer_passes_when_no_service_answers(
    pki, trust_store, agency, import_identity, two_page_pdf, responder_down
):
    # The counterpart of the test above: the stored CRL, not the network, decided there.
    revoked = import_identity(pki.revoked, agency=agency)
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=revoked.pk))
    assert report.verdict == "valid"


def test_a_second_run_changes_nothing(pki, trust_store, seal, responder):
    assert tasks.refresh_crls.apply().get() == 2
    first = {t.pk: (bytes(t.crl), t.crl_this_update) for t in TrustedCertificate.objects.all()}
    assert tasks.refresh_crls.apply().get() == 0
    assert {t.pk: (bytes(t.crl), t.crl_this_update) for t in TrustedCertificate.objects.all()} == first


def test_an_older_crl_does_not_replace_the_one_in_use(pki, trust_store, seal, responder):
    root, intermediate = trust_store
    newer = test_pki.crl(pki.intermediate, [pki.revoked], last_update=test_pki.NOW)
    trusted_certificate_set_crl(trusted_id=intermediate.pk, data=_der(newer))
    older = test_pki.crl(pki.intermediate, [], last_update=test_pki.NOW - dt.timedelta(days=2))
    responder.state.crls[_name(pki.intermediate)] = _der(older)

    tasks.refresh_crls.apply().get()

    intermediate.refresh_from_db()
    assert bytes(intermediate.crl) == _der(newer) and intermediate.crl_revoked_count == 1
    assert intermediate.crl_refresh_error == "" and intermediate.crl_refreshed_at is not None


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        ("down", "503"),
        ("garbage", "không phải là danh sách thu hồi"),
        ("wrong_issuer", "không do chứng thư này phát hành"),
    ],
)
def test_a_failed_fetch_is_recorded_and_the_crl_in_use_kept(pki, trust_store, seal, responder, serve, message):
    root, intermediate = trust_store
    trusted_certificate_set_crl(trusted_id=intermediate.pk, data=_der(pki.crl))
    if serve == "down":
        responder.state.up = False
    elif serve == "garbage":
        responder.state.crls[_name(pki.intermediate)] = b"<html>not a CRL</html>"
    else:
        responder.state.crls[_name(pki.intermediate)] = _der(test_pki.crl(pki.root, [], last_update=test_pki.NOW))

    tasks.refresh_crls.apply().get()

    intermediate.refresh_from_db()
    assert bytes(intermediate.crl) == _der(pki.crl)
    assert message in intermediate.crl_refresh_error
    assert test_pki.crl_url(pki.base_url, pki.intermediate) in intermediate.crl_refresh_error
    assert intermediate.crl_refreshed_at is None


def test_an_unreachable_address_is_recorded(trust_store, responder):
    root, intermediate = trust_store
    # A port nothing listens on (the responder's own, once it is stopped, would be racy).
    TrustedCertificate.objects.filter(pk=intermediate.pk).update(crl_url="http://127.0.0.1:9/ca.crl")
    tasks.refresh_crls.apply().get()
    intermediate.refresh_from_db()
    assert "không kết nối được" in intermediate.crl_refresh_error


def test_nothing_is_fetched_when_fetching_is_off(settings, trust_store, seal, responder):
    settings.SIGNING_REVOCATION_FETCH = False
    assert tasks.refresh_crls.apply().get() == 0
    assert responder.state.requests == []
    assert not any(bytes(t.crl) for t in TrustedCertificate.objects.all())
