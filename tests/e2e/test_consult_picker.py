"""Browser test of the consultation's agency picker (issue 18): the specialist narrows the list
of agencies by typing part of a name without its accents, or a code, picks one and asks it; the
filter is the static portal.js (no inline script: the page fails on a CSP violation)."""

from playwright.sync_api import expect

from dossiers.models import Consultation
from tests.dossiers.factories import DossierFactory, Team, to_processing
from tests.factories import AgencyFactory


def test_the_specialist_picks_the_agency_to_consult_from_a_filtered_list(page, login, activate_totp):
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    to_processing(dossier, team)
    police = AgencyFactory(name="Công an xã Hòa Bình")
    AgencyFactory(name="Sở Xây dựng")
    AgencyFactory(name="Sở Tài nguyên và Môi trường")
    activate_totp(team.specialist)
    login(team.specialist)
    page.goto(f"/officer/dossiers/{dossier.code}/")
    card = page.locator("#action-consult")
    card.locator("summary").click()
    select = card.locator("select[name=agency]")
    visible = select.locator("option:not([hidden])")
    expect(visible).to_have_count(3)

    card.locator("input[data-filter-for=consult-agency]").fill("cong an hoa")
    expect(visible).to_have_count(1)
    expect(visible.first).to_have_text(f"Công an xã Hòa Bình ({police.code})")
    card.locator("input[data-filter-for=consult-agency]").fill("so")
    expect(visible).to_have_count(2)
    card.locator("input[data-filter-for=consult-agency]").fill(police.code)
    expect(visible).to_have_count(1)

    select.select_option(police.code)
    card.locator("textarea[name=question]").fill("Đề nghị xác minh nơi cư trú của người nộp.")
    card.locator("input[name=days]").fill("3")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện")
    assert Consultation.objects.get(dossier=dossier).agency == police
