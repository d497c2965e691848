"""Admin: PKCS#12 import form (wrong password answered, nothing stored), certificate details shown,
the key never; the deployment check that requires the encryption key."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signing.checks import signing_keys_configured
from signing.models import SigningIdentity
from tests.factories import UserFactory
from tests.signing import pki as test_pki
from tests.signing.conftest import P12_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(("password", "stored"), [(P12_PASSWORD, 1), ("sai", 0)])
def test_pkcs12_import_form(admin_client, pki, agency, password, stored):
    data = test_pki.p12(pki.signer, [pki.intermediate], P12_PASSWORD)
    response = admin_client.post(
        "/admin/signing/signingidentity/import/",
        {
            "agency": agency.pk,
            "kind": "agency_seal",
            "display_name": "Con dấu số",
            "password": password,
            "file": SimpleUploadedFile("seal.p12", data),
        },
    )
    assert SigningIdentity.objects.count() == stored
    if stored:
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert "sai mật khẩu" in response.content.decode()


def test_change_page_shows_certificate_details_but_never_the_key(admin_client, seal, pki):
    response = admin_client.get(f"/admin/signing/signingidentity/{seal.pk}/change/")
    body = response.content.decode()
    assert response.status_code == 200
    assert seal.serial in body and "digitalSignature" in body
    assert "encrypted_private_key" not in body
    assert bytes(seal.encrypted_private_key).decode() not in body
    assert admin_client.get("/admin/signing/signingidentity/").status_code == 200


def test_anonymous_user_cannot_reach_the_import_form(client):
    response = client.get("/admin/signing/signingidentity/import/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_deploy_check_requires_the_encryption_key(settings):
    settings.SIGNING_KEY_ENCRYPTION_KEYS = []
    assert [e.id for e in signing_keys_configured(None)] == ["signing.E001"]
    settings.SIGNING_KEY_ENCRYPTION_KEYS = ["x"]
    assert signing_keys_configured(None) == []


def test_admin_uploads_a_crl_for_a_trusted_ca(admin_client, pki, trust_store):
    from cryptography.hazmat.primitives import serialization

    root, intermediate = trust_store
    crl = pki.crl.public_bytes(serialization.Encoding.DER)
    url = f"/admin/signing/trustedcertificate/{intermediate.pk}/change/"
    assert admin_client.get(url).status_code == 200
    wrong = admin_client.post(
        f"/admin/signing/trustedcertificate/{root.pk}/change/",
        {"name": root.name, "is_active": "on", "crl_upload": SimpleUploadedFile("ca.crl", crl)},
    )
    assert wrong.status_code == 200 and "không do chứng thư này phát hành" in wrong.content.decode()
    response = admin_client.post(
        url, {"name": intermediate.name, "is_active": "on", "crl_upload": SimpleUploadedFile("ca.crl", crl)}
    )
    assert response.status_code == 302
    intermediate.refresh_from_db()
    assert bytes(intermediate.crl) == crl and intermediate.crl_revoked_count == 1


def test_admin_sets_the_crl_address_of_a_trusted_ca(admin_client, trust_store):
    root, intermediate = trust_store
    url = f"/admin/signing/trustedcertificate/{intermediate.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Địa chỉ tải CRL" in page and "Lần cập nhật CRL gần nhất" in page
    refused = admin_client.post(
        url, {"name": intermediate.name, "is_active": "on", "crl_url": "ftp://ca.example/x.crl"}
    )
    assert refused.status_code == 200 and "http:// hoặc https://" in refused.content.decode()
    saved = admin_client.post(url, {"name": intermediate.name, "is_active": "on", "crl_url": "http://ca.example/x.crl"})
    assert saved.status_code == 302
    intermediate.refresh_from_db()
    assert intermediate.crl_url == "http://ca.example/x.crl"
