"""Browser test (issue 18): a specialist opens a birth registration, reads what was declared
(the child, the birth date, the mother) and a PDF document's first page, previewed in the page
while it is prepared in the pdf queue (eager in tests), with no CSP violation."""

from django.core.files.base import ContentFile
from playwright.sync_api import expect

from tests.dossiers.declared.test_answers import BIRTH_DATA, BIRTH_FORM
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    OnlineVersionFactory,
    StoredDocumentFactory,
    Team,
    make_pdf,
    to_processing,
)


def test_a_specialist_reads_the_answers_and_a_previewed_pdf_page(page, login, activate_totp):
    version = OnlineVersionFactory(form_schema=BIRTH_FORM)
    dossier = DossierFactory(procedure_version=version, form_data=BIRTH_DATA)
    stored = StoredDocumentFactory(
        owner=dossier.applicant, name="to-khai-khai-sinh.pdf", file=ContentFile(make_pdf(2), name="to-khai.pdf")
    )
    DossierDocumentFactory(dossier=dossier, stored=stored)
    team = Team(dossier.receiving_agency)
    to_processing(dossier, team)
    activate_totp(team.specialist)

    login(team.specialist)
    page.goto(f"/officer/dossiers/{dossier.code}/")
    answers = page.locator("#dossier-answers")
    expect(answers).to_contain_text("Nguyễn Thị Bé Na")
    expect(answers.locator("tr[data-name=child_birth_date] td")).to_have_text("03/10/2026")
    expect(answers.locator("tr[data-name=mother_name] td")).to_have_text("Trần Thị Mẹ Hiền")
    expect(answers.locator("table[data-section=siblings] tr.answers-row")).to_have_count(2)

    preview = page.locator("details.document-preview").first
    preview.locator("summary").click()
    first = preview.locator("img.document-preview-page").first
    expect(first).to_be_visible()
    expect(first).to_have_attribute("alt", "Trang 1 của to-khai-khai-sinh.pdf")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    expect(preview.locator("img.document-preview-page")).to_have_count(2)
