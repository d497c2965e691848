"""Browser tests of the accounts part: sign-up with email confirmation, profile, officer TOTP, shell."""

import re

from allauth.mfa.models import Authenticator
from django.core import mail
from playwright.sync_api import expect

from portal.constants import API_TOKEN_SCOPES, OfficerRole
from portal.models import CitizenProfile, User
from portal.services import api_token_create
from tests.e2e.conftest import totp_code
from tests.factories import PASSWORD, OfficerMembershipFactory, UserFactory

NEW_PASSWORD = "Mat-khau-rat-manh-2026"


def _confirmation_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_sign_up_confirm_email_log_in_and_fill_profile(page, login):
    email = "nguyen.van.moi@example.vn"
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/accounts/confirm-email/" in page.url
    assert User.objects.filter(email=email).exists()

    # The verification message was sent; its link confirms the address.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [email]
    page.goto(_confirmation_link(mail.outbox[0]))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert User.objects.get(email=email).emailaddress_set.get(email=email).verified

    # Log out, then in again with the new account.
    page.goto("/account/")
    with page.expect_navigation():
        page.locator("header form[action='/accounts/logout/'] button").click()
    expect(page.locator("header")).to_contain_text("Đăng nhập")
    login(email, NEW_PASSWORD, expect_url="/account/")
    expect(page.locator("main h1")).to_have_text("Tài khoản của tôi")

    # Fill the profile; the commune list follows the chosen province (htmx).
    page.goto("/account/profile/")
    commune = page.locator("#id_permanent_commune option")
    expect(commune).to_have_count(1)  # only the "choose" placeholder before a province is chosen
    page.fill("#id_full_name", "Nguyễn Văn Mới")
    page.fill("#id_date_of_birth", "1990-05-17")
    page.select_option("#id_sex", "male")
    page.fill("#id_citizen_id", "001090012399")
    page.fill("#id_phone", "0912 345 678")
    page.fill("#id_permanent_address", "Số 10 Phố Huế")
    page.select_option("#id_permanent_province", "1")
    expect(commune.filter(has_text="Phường Hoàn Kiếm")).to_have_count(1)
    hanoi_count = commune.count()
    assert hanoi_count > 50
    page.select_option("#id_permanent_province", "79")  # Hồ Chí Minh City replaces the list
    expect(commune.filter(has_text="Phường Hoàn Kiếm")).to_have_count(0)
    expect(commune.filter(has_text="Phường Bến Thành")).to_have_count(1)
    page.select_option("#id_permanent_province", "1")
    expect(commune.filter(has_text="Phường Hoàn Kiếm")).to_have_count(1)
    page.select_option("#id_permanent_commune", label="Phường Hoàn Kiếm")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Đã lưu hồ sơ cá nhân.")
    expect(page.locator("#profile-name")).to_have_text("Nguyễn Văn Mới")

    profile = CitizenProfile.objects.get(user__email=email)
    assert profile.citizen_id == "001090012399"
    assert profile.phone == "0912345678"
    assert (profile.permanent_province, profile.permanent_commune) == (1, 70)

    # Reopened, the form is prefilled, commune included.
    page.goto("/account/profile/")
    expect(page.locator("#id_citizen_id")).to_have_value("001090012399")
    expect(page.locator("#id_permanent_province")).to_have_value("1")
    expect(page.locator("#id_permanent_commune")).to_have_value("70")


def test_profile_errors_are_shown_in_vietnamese(page, login):
    user = UserFactory()
    login(user)
    page.goto("/account/profile/")
    page.fill("#id_full_name", "Trần Thị Lỗi")
    page.fill("#id_citizen_id", "12345")
    page.fill("#id_phone", "0123")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    main = page.locator("main")
    expect(main).to_contain_text("phải gồm đúng 12 chữ số")
    expect(main).to_contain_text("Số điện thoại di động không hợp lệ")
    assert not CitizenProfile.objects.filter(user=user).exists()


def test_officer_must_set_up_totp_before_officer_pages(page, login):
    membership = OfficerMembershipFactory(role=OfficerRole.RECEPTION)
    officer = membership.user
    login(officer, expect_url="/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F")
    expect(page.locator("main .messages")).to_contain_text("phải bật xác thực hai lớp")
    # allauth asks for the password again before any change to the second factor.
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/accounts/2fa/totp/activate/")

    # Any officer page sends the officer back to the activation page.
    page.goto("/officer/")
    assert page.url.endswith("/accounts/2fa/totp/activate/")

    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.fill("input[name=code]", totp_code(secret))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert Authenticator.objects.filter(user=officer, type=Authenticator.Type.TOTP).exists()

    page.goto("/officer/")
    expect(page.locator("main h1")).to_have_text("Trang làm việc của cán bộ")
    expect(page.locator("main")).to_contain_text(membership.agency.code)

    # An officer's navigation (the longest) fits on a desktop screen without scrolling sideways.
    for width in (1200, 1280, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        expect(page.locator("header a[href='/officer/']")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_mobile_viewport_collapses_navigation_without_horizontal_scroll(page, login):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    toggler = page.locator(".navbar-toggler")
    nav_link = page.locator("#mainNav a", has_text="Tra cứu hồ sơ")
    expect(toggler).to_be_visible()
    expect(nav_link).to_be_hidden()
    toggler.click()
    expect(nav_link).to_be_visible()
    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 360px"
    user = UserFactory()
    citizen_scopes = [scope for scope in API_TOKEN_SCOPES if scope != "officer"]  # officers' only
    api_token_create(user=user, name="Phần mềm kế toán của doanh nghiệp", scopes=citizen_scopes)
    login(user)
    for path in ("/account/", "/account/profile/", "/account/tokens/", "/organisations/new/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 360px"


def test_skip_link_comes_first_and_shows_on_focus(page):
    page.goto("/")
    skip = page.locator("a.skip-link")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 10, box  # on screen, not parked off-canvas
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_language_switch_to_english(page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("header")).to_contain_text("Đăng nhập")
    page.focus("#language-switch")
    page.keyboard.press("ArrowDown")  # one arrow key reloads nothing (issue 19)
    page.wait_for_timeout(300)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.select_option("#language-switch", "en")
    with page.expect_navigation():
        page.click("#language-submit")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_css_and_scripts_load(page):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if "/static/" in r.url and r.status != 200 else None)
    page.goto("/")
    assert failed == []
    # Bootstrap's stylesheet applied: the navbar is a flex container.
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    assert page.evaluate("typeof window.htmx") == "object"


def test_officer_with_totp_logs_in_with_a_code(page, login, activate_totp):
    membership = OfficerMembershipFactory(role=OfficerRole.LEADER)
    activate_totp(membership.user)
    login(membership.user, expect_url="/officer/")
    expect(page.locator("main")).to_contain_text("Lãnh đạo cơ quan")
