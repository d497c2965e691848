"""Management commands of the accounts part: seed_demo (create_api_token is in test_tokens)."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
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
