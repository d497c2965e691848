"""Who may open which page: anonymous, citizen, organisation member, officer with and without TOTP."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings

from portal.constants import OfficerRole, OrganisationRole
from portal.models import OrganisationInvitation
from portal.services import api_token_create
from tests.factories import (
    PASSWORD,
    CitizenProfileFactory,
    OfficerMembershipFactory,
    OrganisationMembershipFactory,
    UserFactory,
    second_factor_verified,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_with_member():
    membership = OrganisationMembershipFactory(role=OrganisationRole.MEMBER)
    return membership.organisation, membership.user


LOGIN_REQUIRED = [
    "/account/",
    "/account/profile/",
    "/account/tokens/",
    "/organisations/",
    "/organisations/new/",
    "/organisations/1/",
    "/invitations/abc/",
    "/officer/",
    "/accounts/2fa/",
    "/accounts/password/change/",
]

TOTP_ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("url", LOGIN_REQUIRED)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_public_pages_render_in_the_portal_shell(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="vi">' in body
    assert 'class="portal-header"' in body and 'class="portal-footer' in body
    assert 'href="#main"' in body


@pytest.mark.parametrize(
    "url",
    [
        "/account/",
        "/account/profile/",
        "/account/tokens/",
        "/organisations/",
        "/organisations/new/",
        "/accounts/2fa/",
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/logout/",
    ],
)
def test_account_pages_render_for_a_citizen_with_data(client, url):
    user = UserFactory()
    CitizenProfileFactory(user=user)
    OrganisationMembershipFactory(user=user, role=OrganisationRole.OWNER)
    api_token_create(user=user, name="Kế toán")
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert 'class="portal-header"' in response.content.decode()


def test_organisation_detail_renders_for_owner_and_member(client):
    owner_membership = OrganisationMembershipFactory(role=OrganisationRole.OWNER)
    org = owner_membership.organisation
    member = OrganisationMembershipFactory(organisation=org).user
    OrganisationInvitation.objects.create(organisation=org, email="cho@example.vn")
    client.force_login(owner_membership.user)
    body = client.get(f"/organisations/{org.pk}/").content.decode()
    assert "cho@example.vn" in body and member.email in body and "Mời thành viên" in body
    client.force_login(member)
    body = client.get(f"/organisations/{org.pk}/").content.decode()
    assert "cho@example.vn" not in body and "Xoá khỏi tổ chức" not in body


def test_officer_without_totp_is_sent_to_set_it_up(client):
    officer = OfficerMembershipFactory(role=OfficerRole.SPECIALIST).user
    client.force_login(officer)
    for url in ("/officer/", "/officer/anything/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == TOTP_ACTIVATE
    # Citizen pages stay open, and so does the page where TOTP is set up.
    assert client.get("/account/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200


def test_officer_with_totp_gets_through(client):
    membership = OfficerMembershipFactory(role=OfficerRole.LEADER)
    TOTP.activate(membership.user, generate_totp_secret())
    client.force_login(membership.user)
    response = client.get("/officer/")
    assert response.status_code == 200
    body = response.content.decode()
    assert membership.agency.code in body
    assert "Lãnh đạo cơ quan" in body


def test_officer_with_totp_must_give_the_code_at_login(client):
    membership = OfficerMembershipFactory(role=OfficerRole.RECEPTION)
    TOTP.activate(membership.user, generate_totp_secret())
    response = client.post("/accounts/login/", {"login": membership.user.email, "password": "wrong"})
    assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": membership.user.email, "password": PASSWORD})
    # With TOTP set up, allauth asks for the code next; the officer page comes after.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")


def test_citizen_gets_403_on_officer_pages(client):
    client.force_login(UserFactory())
    response = client.get("/officer/")
    assert response.status_code == 403
    assert "Trang này chỉ dành cho cán bộ." in response.content.decode()


def test_bare_permission_denied_shows_the_generic_sentence(client, org_with_member):
    org, member = org_with_member
    client.force_login(member)
    response = client.post(f"/organisations/{org.pk}/", {"email": "x@example.vn", "role": "member"})
    assert response.status_code == 403
    assert "Bạn không có quyền xem trang này." in response.content.decode()


def test_inactive_membership_is_no_officer(client):
    membership = OfficerMembershipFactory(role=OfficerRole.RECEPTION, is_active=False)
    client.force_login(membership.user)
    assert client.get("/officer/").status_code == 403


def test_officer_nav_link_only_for_officers(client):
    client.force_login(UserFactory())
    assert 'href="/officer/"' not in client.get("/").content.decode()
    membership = OfficerMembershipFactory(role=OfficerRole.RECEPTION)
    client.force_login(membership.user)
    assert 'href="/officer/"' in client.get("/").content.decode()


def test_unknown_page_is_a_vietnamese_404(client):
    response = client.get("/khong-ton-tai/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang" in html and "<title>Không tìm thấy trang" in html
    assert "Page not found" not in html  # the Vietnamese page carries no English (issue 19)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/khong-ton-tai/").content.decode()
    assert "Page not found" in english and "Không tìm thấy trang" not in english


def test_the_vietnamese_403_carries_no_english(client):
    client.force_login(UserFactory())
    html = client.get("/officer/").content.decode()
    assert "Không có quyền truy cập" in html and "Access denied" not in html


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /accounts/" in response.content.decode()


def test_officer_needs_totp_for_the_admin_too(client):
    membership = OfficerMembershipFactory(role=OfficerRole.AGENCY_ADMIN, user=UserFactory(is_staff=True))
    client.force_login(membership.user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == TOTP_ACTIVATE
    TOTP.activate(membership.user, generate_totp_secret())
    # Set up, but this session has not passed it yet: the code first, then the admin.
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    second_factor_verified(client, membership.user)
    assert client.get("/admin/").status_code == 200


def test_admin_login_goes_through_the_portal_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403


def test_two_factor_page_is_vietnamese_and_shows_the_state(client):
    user = UserFactory()
    client.force_login(user)
    body = client.get("/accounts/2fa/").content.decode()
    assert "Xác thực hai lớp" in body
    assert "Chưa bật ứng dụng xác thực." in body
    TOTP.activate(user, generate_totp_secret())
    body = client.get("/accounts/2fa/").content.decode()
    assert "Xác thực bằng ứng dụng xác thực đang bật." in body


def test_totp_activation_asks_for_the_password_first(client):
    client.force_login(OfficerMembershipFactory().user)
    response = client.get(TOTP_ACTIVATE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(response["Location"])
    assert "Vui lòng xác thực lại để bảo vệ tài khoản của bạn." in page.content.decode()
