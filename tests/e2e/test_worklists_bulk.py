"""Browser: a day's work from the worklists. The reception officer filters the queue, selects ten
dossiers and receives them in bulk after the confirmation; the department head assigns them in
bulk to a specialist; the specialist finds one by the applicant's ID number from the header
search, reads the declared answers and a previewed PDF page, proposes, and moves through the list
with the keyboard."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from dossiers.constants import DossierState
from dossiers.models import Dossier
from portal.constants import OfficerRole
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    OnlineVersionFactory,
    StoredDocumentFactory,
    make_pdf,
)
from tests.e2e.helpers import _act, _sign_out
from tests.factories import OfficerMembershipFactory
from tests.procedures.factories import ProcedureFactory


@pytest.mark.e2e
def test_reception_receives_ten_in_bulk_head_assigns_them_specialist_finds_one(page, login, activate_totp, tmp_path):
    first = DossierFactory()
    agency = first.receiving_agency
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[agency]))
    chosen = [
        DossierFactory(
            receiving_agency=agency,
            procedure_version=version,
            applicant_name=f"Nguyễn Thị Hồng {i}",
            applicant_id_number=f"0012030040{i:02d}",
        )
        for i in range(12)
    ]
    other = [DossierFactory(receiving_agency=agency, procedure_version=first.procedure_version) for _ in range(3)]
    target = chosen[3]
    stored = StoredDocumentFactory(
        owner=target.applicant, name="giay-chung-sinh.pdf", file=ContentFile(make_pdf(2), name="giay-chung-sinh.pdf")
    )
    DossierDocumentFactory(dossier=target, stored=stored)
    reception, head, specialist = (
        OfficerMembershipFactory(agency=agency, role=role).user
        for role in (OfficerRole.RECEPTION, OfficerRole.DEPARTMENT_HEAD, OfficerRole.SPECIALIST)
    )
    for officer in (reception, head, specialist):
        activate_totp(officer)

    # Reception: filter the queue by procedure, select ten, confirm, read the result per row.
    login(reception)
    page.goto("/officer/reception/")
    page.select_option("#f-procedure", version.procedure.code)
    with page.expect_navigation():
        page.locator("#worklist-filter-submit").click()
    rows = page.locator("tr.queue-row")
    expect(rows).to_have_count(12)
    assert page.locator(f"tr.queue-row[data-code='{other[0].code}']").count() == 0
    for dossier in chosen[:10]:
        page.locator(f"tr.queue-row[data-code='{dossier.code}'] input.row-select").check()
    expect(page.locator("#bulk-selected-count")).to_contain_text("10")
    with page.expect_navigation():
        page.locator("#bulk-receive").click()
    expect(page.locator("#bulk-selection tr.bulk-row")).to_have_count(10)
    assert Dossier.objects.filter(state=DossierState.RECEIVED).count() == 0  # not before the confirmation
    # Ten receipts (form 01) are rendered and sealed on commit: in tests the tasks run eagerly.
    with page.expect_navigation(timeout=90_000):
        page.locator("#bulk-confirm-submit").click(timeout=90_000)
    expect(page.locator("#bulk-results tr.bulk-done")).to_have_count(10)
    expect(page.locator("#bulk-summary")).to_contain_text("10/10")
    codes = [d.code for d in chosen[:10]]
    assert set(Dossier.objects.filter(state=DossierState.RECEIVED).values_list("code", flat=True)) == set(codes)
    _sign_out(page)

    # The department head: select all in "waiting for assignment", pick the specialist, confirm.
    login(head)
    page.goto("/officer/worklists/to-assign/")
    expect(page.locator("tr.worklist-row")).to_have_count(10)
    page.locator("#select-all").check()
    with page.expect_navigation():
        page.locator("#bulk-assign").click()
    page.select_option("#bulk-assignee", str(specialist.pk))
    with page.expect_navigation(timeout=90_000):
        page.locator("#bulk-confirm-submit").click(timeout=90_000)
    expect(page.locator("#bulk-results tr.bulk-done")).to_have_count(10)
    assert Dossier.objects.filter(code__in=codes, assigned_to=specialist, state=DossierState.PROCESSING).count() == 10
    _sign_out(page)

    # The specialist finds one by the applicant's ID number from the header search.
    login(specialist)
    page.goto("/officer/worklists/")
    page.fill("#officer-header-q", target.applicant_id_number)
    with page.expect_navigation():
        page.locator("#officer-header-q").press("Enter")
    expect(page.locator("tr.worklist-row")).to_have_count(1)
    # j moves onto the row, Enter opens it; the dossier page offers the next one of the list.
    page.keyboard.press("j")
    expect(page.locator(f"tr.worklist-row.row-cursor[data-code='{target.code}']")).to_have_count(1)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#dossier-code")).to_have_text(target.code)
    expect(page.locator("#next-in-list")).to_be_visible()
    # What was declared, with the form's labels, and the document's first page, previewed.
    expect(page.locator("#dossier-answers tr[data-name=full_name] td")).to_have_text(target.form_data["full_name"])
    preview = page.locator("details.document-preview").first
    preview.locator("summary").click()
    first_page = preview.locator("img.document-preview-page").first
    expect(first_page).to_be_visible(timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first_page.element_handle())
    # And proposes, with the draft result uploaded as a PDF.
    draft = tmp_path / "du-thao-ket-qua.pdf"
    draft.write_bytes(make_pdf())

    def propose(card):
        card.locator("input[name=recommendation][value=grant]").check()
        card.locator("textarea[name=result_title]").fill("Giấy xác nhận")
        card.locator("input[name=result_file]").set_input_files(str(draft))

    _act(page, "propose", propose)
    assert Dossier.objects.get(pk=target.pk).state == DossierState.PENDING_APPROVAL

    # The assigned list: keyboard through it and "next in my list" keeps the list.
    page.goto("/officer/worklists/assigned/")
    expect(page.locator("tr.worklist-row")).to_have_count(9)  # the one proposed waits for approval
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first_code = page.locator("#dossier-code").inner_text()
    with page.expect_navigation():
        page.locator("#next-in-list").click()
    assert page.locator("#dossier-code").inner_text() not in ("", first_code)
    assert "list=assigned" in page.url
