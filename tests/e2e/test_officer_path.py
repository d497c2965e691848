"""Browser test of the whole officer path on the demo birth registration (1.001193): reception
receives from the queue, the department head assigns the specialist, the specialist proposes with
an uploaded PDF draft, the leader approves, reception returns the result online; then the citizen
sees the result code on its dossier page and in its document store, and downloads the PDF.
Every officer signs in with TOTP."""

from playwright.sync_api import expect

from dossiers.constants import DossierState
from dossiers.models import Dossier, DossierResult, StoredDocument
from portal.constants import OfficerRole
from procedures.constants import AgencyLevel
from procedures.demo import DEMO_CATALOGUE
from procedures.models import Agency, ProcedureVersion
from procedures.services import catalogue_import_json
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, make_pdf
from tests.e2e.helpers import _act, _sign_out
from tests.factories import AgencyFactory, CitizenProfileFactory, OfficerMembershipFactory

AGENCIES = ["000.00.01.H99", "000.00.12.H99", "000.00.15.H99", "000.01.21.H99", "000.02.21.H99"]
WARD = "000.01.21.H99"


def _demo_dossier(applicant) -> Dossier:
    """A submitted online dossier of the demo birth registration at the ward, with its documents."""
    for code in AGENCIES:
        AgencyFactory(code=code, level=AgencyLevel.COMMUNE if ".21." in code else AgencyLevel.DEPARTMENT)
    catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
    version = ProcedureVersion.objects.filter(procedure__code="1.001193").order_by("-pk").first()
    dossier = DossierFactory(
        procedure_version=version,
        receiving_agency=Agency.objects.get(code=WARD),
        applicant=applicant,
        applicant_name="Nguyễn Văn Cha",
        form_data={"requester_name": "Nguyễn Văn Cha", "child_name": "Nguyễn Văn Bé"},
    )
    for requirement in version.documents.filter(required=True):
        DossierDocumentFactory(dossier=dossier, requirement=requirement, component_name=requirement.name)
    return dossier


def test_officers_take_a_dossier_from_reception_to_the_returned_result(page, login, activate_totp, tmp_path):
    citizen = CitizenProfileFactory(full_name="Nguyễn Văn Cha").user
    dossier = _demo_dossier(citizen)
    agency = dossier.receiving_agency
    reception, head, specialist, leader = (
        OfficerMembershipFactory(agency=agency, role=role).user
        for role in (OfficerRole.RECEPTION, OfficerRole.DEPARTMENT_HEAD, OfficerRole.SPECIALIST, OfficerRole.LEADER)
    )
    for officer in (reception, head, specialist, leader):
        activate_totp(officer)
    officer_page = f"/officer/dossiers/{dossier.code}/"

    # Reception: receive from the queue, then open the dossier's page from the queue.
    login(reception)
    page.goto("/officer/reception/")
    row = page.locator(f"tr.queue-row[data-code='{dossier.code}']")
    row.locator("a.action-receive").click()
    page.wait_for_url(f"**/officer/reception/{dossier.code}/receive/")
    with page.expect_navigation():
        page.locator("button.action-receive-confirm").click()
    expect(page.locator("body")).to_contain_text(f"Đã tiếp nhận hồ sơ {dossier.code}")
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.RECEIVED
    page.goto(officer_page)
    expect(page.locator("#dossier-status")).to_contain_text(str(DossierState.RECEIVED.label))
    expect(page.locator("#dossier-actions")).not_to_contain_text("Phân công xử lý")
    _sign_out(page)

    # The department head assigns the specialist.
    login(head)
    page.goto(officer_page)
    _act(page, "assign", lambda card: card.locator("select[name=assignee]").select_option(str(specialist.pk)))
    expect(page.locator("#dossier-assignee")).to_contain_text(specialist.full_name)
    _sign_out(page)

    # The specialist appraises and proposes, with the draft result uploaded as a PDF.
    draft = tmp_path / "du-thao-giay-khai-sinh.pdf"
    draft.write_bytes(make_pdf())

    def propose(card):
        card.locator("input[name=recommendation][value=grant]").check()
        card.locator("textarea[name=result_title]").fill("Giấy khai sinh")
        card.locator("input[name=result_file]").set_input_files(str(draft))

    login(specialist)
    page.goto(officer_page)
    _act(page, "propose", propose)
    expect(page.locator("#dossier-results")).to_contain_text(f"{dossier.code}-KQ1")
    expect(page.locator("#dossier-status")).to_contain_text(str(DossierState.PENDING_APPROVAL.label))
    _sign_out(page)

    # The leader approves.
    login(leader)
    page.goto(officer_page)
    _act(page, "approve")
    expect(page.locator("#dossier-status")).to_contain_text(str(DossierState.RESOLVED.label))
    _sign_out(page)

    # Reception returns the result online.
    login(reception)
    page.goto(officer_page)
    _act(page, "return_result", lambda card: card.locator("input[name=method][value=online]").check())
    expect(page.locator("#dossier-status")).to_contain_text(str(DossierState.RETURNED.label))
    # The process control rows: every step of the demo workflow, each finished.
    for key in ("receive", "appraise", "approve", "return"):
        expect(page.locator(f"#dossier-steps tr.step[data-key='{key}']")).to_have_count(1)
    assert DossierResult.objects.get(dossier=dossier).published_at is not None
    _sign_out(page)

    # The citizen sees the result on its dossier page and in its store, and downloads the PDF.
    result_code = f"{dossier.code}-KQ1"
    login(citizen)
    page.goto(f"/dossiers/{dossier.code}/")
    results = page.locator("#dossier-results")
    expect(results).to_contain_text(result_code)
    href = results.locator("a.result-download").get_attribute("href")
    copy = StoredDocument.objects.get(result_code=result_code, owner=citizen)
    assert href == f"/files/documents/{copy.pk}/"
    page.goto("/dossiers/store/")
    expect(page.locator("table.stored-documents")).to_contain_text(result_code)
    response = page.context.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
