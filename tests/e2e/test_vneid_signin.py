"""Browser test of VNeID: Chromium signs in at the certified OpenID Provider (oidc-provider, run by
Node.js on 127.0.0.1), the account and profile come from VNeID, the dossier's applicant fields
come prefilled from the population database (its sandbox) and marked with their source, and
signing out ends the provider's session too."""

import re

import pytest
from playwright.sync_api import expect

from dossiers.models import Dossier, NationalDataLookup
from portal.models import CitizenProfile
from portal.settings.base import national_data_sources
from tests.dossiers.factories import make_pdf
from tests.e2e.factories import _load_demo_catalogue
from tests.portal.vneid.helpers import CLIENT_ID, CLIENT_SECRET, USERS, start_provider

BINH = "079190001234"


@pytest.fixture(scope="module")
def vneid_op(live_server):
    provider = start_provider(
        redirect_uris=[f"{live_server.url}/accounts/oidc/vneid/login/callback/"],
        post_logout_redirect_uris=[f"{live_server.url}/"],
    )
    yield provider
    provider.close()


@pytest.fixture
def vneid(vneid_op, settings):
    settings.VNEID_OIDC_ISSUER = vneid_op.issuer
    settings.VNEID_CLIENT_ID = CLIENT_ID
    settings.VNEID_CLIENT_SECRET = CLIENT_SECRET
    settings.VNEID_ACR_VALUES = "LoA1"
    return vneid_op


@pytest.fixture
def population_sandbox(live_server, settings):
    settings.LGSP_CLIENT_ID, settings.LGSP_SECRET = "portal-sandbox", "lgsp-e2e-secret"
    settings.NATIONAL_DATA_SOURCES = national_data_sources(
        f"{live_server.url}/sandbox-lgsp", "portal-sandbox", "lgsp-e2e-secret", 5.0
    )


def test_citizen_signs_in_with_vneid_and_files_with_prefilled_identity(
    page, vneid, population_sandbox, live_server, tmp_path
):
    _load_demo_catalogue()

    # The sign-in page offers VNeID; the provider's own page takes the credentials.
    page.goto("/accounts/login/")
    with page.expect_navigation(url=re.compile(re.escape(vneid.issuer) + "/interaction/")):
        page.locator("#vneid-login").click()
    page.fill("#op-login", BINH)
    page.fill("#op-password", USERS[BINH]["password"])
    with page.expect_navigation(url=re.compile(re.escape(live_server.url))):
        page.locator("#op-submit").click()
    page.wait_for_url(re.compile(r"/account/$"))
    profile = CitizenProfile.objects.get(citizen_id=BINH)
    assert profile.user.email == "binh.vneid@example.test"
    expect(page.locator("#profile-vneid")).to_contain_text("lấy từ VNeID")

    # Fill the profile's contact (VNeID gives none) — the identity fields are locked.
    page.goto("/account/profile/")
    expect(page.locator("#id_full_name")).to_be_disabled()
    expect(page.locator("#id_citizen_id")).to_be_disabled()
    page.fill("#id_phone", "0912345678")
    page.fill("#id_current_address", "Số 5 đường Trung Tâm, Phường Trung Tâm")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu hồ sơ").click()

    # File a birth registration: the applicant's fields come from VNeID's identity.
    page.goto("/procedures/?q=dang+ky+khai+sinh")
    with page.expect_navigation():
        page.locator(".procedure-result").first.locator("h2 a").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_label(re.compile("Tôi đồng ý để Cổng tra cứu thông tin của tôi")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").click()
    # Step 2: the applicant's fields from the population database (sandbox), marked, read-only.
    expect(page.locator("#id_data-requester_name")).to_have_value("Trần Thị Bình")
    expect(page.locator("#id_data-requester_id")).to_have_value(BINH)
    expect(page.locator("#id_data-requester_name")).to_have_attribute("readonly", "")
    expect(page.locator("#dossier-form")).to_contain_text("Lấy từ Cơ sở dữ liệu quốc gia về dân cư")
    expect(page.locator(".national-lookup")).to_contain_text("Môi trường thử nghiệm")
    with page.expect_navigation():  # the form's next page: the child
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.fill("#id_data-child_name", "Lê Văn Bé")
    page.select_option("#id_data-child_sex", "male")
    page.fill("#id_data-child_birth_date", "1")  # the date group: day, month, year
    page.fill("#id_data-child_birth_date-month", "11")
    page.fill("#id_data-child_birth_date-year", "2026")
    page.fill("#id_data-birth_place", "Bệnh viện Đa khoa Tỉnh Demo")
    page.fill("#id_data-ethnicity", "Kinh")
    with page.expect_navigation():  # next page: the parents
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.fill("#id_data-mother_name", "Trần Thị Bình")
    with page.expect_navigation():  # next page: the relationship
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.select_option("#id_data-relationship", "mother")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    to_khai, chung_sinh = tmp_path / "to-khai.pdf", tmp_path / "giay-chung-sinh.pdf"
    to_khai.write_bytes(make_pdf())
    chung_sinh.write_bytes(make_pdf())
    slots = page.locator(".document-slot")
    slots.nth(0).locator("input[type=file]:not([capture])").set_input_files(str(to_khai))
    slots.nth(1).locator("input[type=file]:not([capture])").set_input_files(str(chung_sinh))
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục", exact=True).click()
    expect(page.locator("table.answers .national-source").first).to_have_text("từ Cơ sở dữ liệu quốc gia về dân cư")
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator("h1")).to_contain_text("Đã nộp hồ sơ thành công")
    dossier = Dossier.objects.get(code=page.locator("#dossier-code").inner_text())
    assert dossier.applicant == profile.user
    assert dossier.form_sources["requester_name"] == "population"
    assert NationalDataLookup.objects.get(dossier=dossier).status == "found"
    # The dossier's own page says where its answers came from.
    page.goto(f"/dossiers/{dossier.code}/")
    expect(page.locator("table.answers .national-source").first).to_contain_text("dân cư")

    # Signing out ends the VNeID session as well, then comes back to the portal's home page.
    page.goto("/accounts/logout/")
    with page.expect_navigation(url=re.compile(re.escape(vneid.issuer) + "/session/end")):
        page.locator("main form button[type=submit]").last.click()
    with page.expect_navigation(url=re.compile(re.escape(live_server.url) + "/$")):
        page.locator("#op-logout").click()
    page.goto("/account/")
    assert "/accounts/login/" in page.url
