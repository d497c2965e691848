"""Management commands of the accounts part: seed_demo (create_api_token is in test_tokens)."""

import time
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.apps import apps
from django.core.management import CommandError, call_command

from portal.constants import OfficerRole, OrganisationRole
from portal.models import CitizenProfile, OfficerMembership, OrganisationMembership, User
from portal.selectors import officer_can
from procedures.models import Agency

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-password-2026"
OFFICERS = {
    "reception@example.com": OfficerRole.RECEPTION,
    "specialist@example.com": OfficerRole.SPECIALIST,
    "head@example.com": OfficerRole.DEPARTMENT_HEAD,
    "leader@example.com": OfficerRole.LEADER,
    "admin@example.com": OfficerRole.AGENCY_ADMIN,
}


ACCOUNT_APPS = ("portal", "account", "mfa")
ALL_APPS = ("portal", "procedures", "dossiers", "signing", "account", "mfa")


def _counts(app_labels) -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in app_labels
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_demo_creates_the_demo_province():
    call_command("seed_demo", stdout=StringIO())
    for email, role in OFFICERS.items():
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD)
        assert EmailAddress.objects.get(user=user).verified
        memberships = OfficerMembership.objects.filter(user=user).select_related("agency")
        # The department of justice and the ward's one-stop shop.
        assert sorted(m.agency.code for m in memberships) == ["000.00.12.H99", "000.01.21.H99"]
        for membership in memberships:
            assert membership.role == role
            assert officer_can(user=user, agency_id=membership.agency_id, permission="view_dossiers")
        assert not user.authenticator_set.exists()  # MFA not yet set up
    citizen = User.objects.get(email="citizen@example.com")
    assert citizen.check_password(DEMO_PASSWORD)
    assert CitizenProfile.objects.get(user=citizen).is_complete
    business = User.objects.get(email="business@example.com")
    company = OrganisationMembership.objects.get(user=business, role=OrganisationRole.OWNER).organisation
    company.full_clean()
    assert Agency.objects.filter(level="province").exists()
    assert Agency.objects.filter(level="commune").count() >= 2


def test_seed_demo_is_idempotent_for_accounts():
    call_command("seed_demo", stdout=StringIO())
    first = _counts(ACCOUNT_APPS) | {"agencies": Agency.objects.count()}
    User.objects.filter(email="citizen@example.com").update(full_name="Đã đổi")
    call_command("seed_demo", stdout=StringIO())
    assert _counts(ACCOUNT_APPS) | {"agencies": Agency.objects.count()} == first
    assert first["portal.User"] == 7
    assert first["portal.OfficerMembership"] == 10
    assert first["portal.Organisation"] == 1


def test_seed_demo_is_idempotent_across_all_apps():
    # Later seed steps (catalogue, sample dossiers) are held to the same rule.
    call_command("seed_demo", stdout=StringIO())
    first = _counts(ALL_APPS)
    call_command("seed_demo", stdout=StringIO())
    assert _counts(ALL_APPS) == first


def test_seed_demo_refused_under_production_settings(settings):
    settings.SETTINGS_MODULE = "portal.settings.production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_demo_admin_uses_the_django_admin_after_both_factors(client):
    """The README's promise: admin@example.com signs in (password, then TOTP) and works in /admin/."""
    call_command("seed_demo", stdout=StringIO())
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff and admin.is_superuser
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": admin.email, "password": DEMO_PASSWORD, "next": "/admin/"}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    while 30 - time.time() % 30 < 3:  # the code must reach the server within its 30 s period
        time.sleep(0.5)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(response["Location"], {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    body = response.content.decode()
    assert "Bạn không có quyền xem hoặc chỉnh sửa bất cứ gì" not in body
    for page in ("/admin/procedures/procedure/", "/admin/portal/user/", "/admin/procedures/agency/"):
        assert f'href="{page}"' in body
        assert client.get(page).status_code == 200

    # Run again: still the superuser, and the other demo accounts stay outside the admin.
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.filter(is_superuser=True).get().email == "admin@example.com"
    assert not User.objects.filter(is_staff=True).exclude(email="admin@example.com").exists()
