"""Browser test of the signed result: the leader approves on the officer's dossier page, the
approval signs the result with the agency's seal (signing queue, run eagerly in tests), reception
returns it online, and the citizen downloads it from its dossier page and checks it on /verify/,
which finds one valid signature by the agency."""

import io

from playwright.sync_api import expect
from pyhanko.pdf_utils.reader import PdfFileReader

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.models import DossierResult
from signing.constants import Verdict
from signing.services import trusted_certificate_add
from tests.dossiers.factories import DossierFactory, Team, to_pending
from tests.e2e.helpers import _act, _sign_out
from tests.factories import AgencyFactory, CitizenProfileFactory
from tests.signing import pki as test_pki
from tests.signing.conftest import _fresh_signer_cache, import_identity, pki  # noqa: F401 - fixtures

AGENCY_NAME = "Sở Tư pháp Tỉnh Demo"


def test_the_citizen_verifies_the_result_the_leader_approved(
    page,
    login,
    activate_totp,
    import_identity,  # noqa: F811 - the fixture imported above
    pki,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    agency = AgencyFactory(name=AGENCY_NAME)
    import_identity(agency=agency, display_name=AGENCY_NAME)
    trusted_certificate_add(data=pki.root.pem)
    citizen = CitizenProfileFactory(full_name="Nguyễn Văn Cha").user
    dossier = DossierFactory(receiving_agency=agency, applicant=citizen)
    team = Team(agency)
    to_pending(dossier, team, result_title="Giấy khai sinh")
    result = DossierResult.objects.get(dossier=dossier)
    # A real two-page PDF as the draft, so the stamp lands on a real document.
    with result.stored.file.open("wb") as handle:
        handle.write(test_pki.two_page_pdf())
    activate_totp(team.leader)
    officer_page = f"/officer/dossiers/{dossier.code}/"

    # The leader approves in the browser; the approval signs the result.
    login(team.leader)
    page.goto(officer_page)
    _act(page, "approve")
    expect(page.locator("#dossier-status")).to_contain_text(str(DossierState.RESOLVED.label))
    _sign_out(page)

    # Reception returns the result online.
    services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)

    # The citizen downloads the signed result from its dossier page.
    login(citizen)
    page.goto(f"/dossiers/{dossier.code}/")
    results = page.locator("#dossier-results")
    expect(results).to_contain_text(result.code)
    response = page.context.request.get(results.locator("a.result-download").first.get_attribute("href"))
    assert response.status == 200
    signed = response.body()
    assert len(PdfFileReader(io.BytesIO(signed)).embedded_signatures) == 1
    copy = tmp_path / "ket-qua-da-ky.pdf"
    copy.write_bytes(signed)

    # … and checks it on /verify/.
    page.goto("/verify/")
    page.locator("#verify-form input[name=file]").set_input_files(str(copy))
    with page.expect_navigation():
        page.locator("#verify-form button[type=submit]").click()
    report = page.locator("#verify-result .signature-report")
    expect(report).to_have_count(1)
    expect(report).to_have_attribute("data-verdict", Verdict.VALID)
    expect(report).to_contain_text("Hợp lệ")
    expect(report).to_contain_text(AGENCY_NAME)
