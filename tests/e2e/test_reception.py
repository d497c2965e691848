"""Browser: a reception officer works through the queue: receives one dossier, asks for a
supplement on another and refuses a third (with the reason asked for again when left empty)."""

import pytest

from dossiers.constants import DossierState
from dossiers.models import Dossier
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierFactory
from tests.factories import OfficerMembershipFactory


@pytest.mark.e2e
def test_reception_officer_receives_requests_supplement_and_refuses(page, login, activate_totp):
    first = DossierFactory()
    agency = first.receiving_agency
    second = DossierFactory(receiving_agency=agency, procedure_version=first.procedure_version)
    third = DossierFactory(receiving_agency=agency, procedure_version=first.procedure_version)
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    activate_totp(officer)
    login(officer)

    page.goto("/officer/reception/")
    for dossier in (first, second, third):
        assert page.locator(f"tr.queue-row[data-code='{dossier.code}']").count() == 1

    # "Tiếp nhận" opens a confirmation with what was filed; receiving takes the confirmation.
    page.locator(f"tr.queue-row[data-code='{first.code}'] a.action-receive").click()
    page.wait_for_url(f"**/officer/reception/{first.code}/receive/")
    assert Dossier.objects.get(pk=first.pk).state == DossierState.SUBMITTED
    with page.expect_navigation():
        page.locator("button.action-receive-confirm").click()
    assert f"Đã tiếp nhận hồ sơ {first.code}" in page.locator("body").inner_text()
    assert page.locator(f"tr.queue-row[data-code='{first.code}']").count() == 0

    page.locator(f"tr.queue-row[data-code='{second.code}'] a.action-request-supplement").click()
    page.wait_for_url(f"**/officer/reception/{second.code}/request-supplement/")
    requirement = second.procedure_version.documents.get()
    page.fill(f"#doc-{requirement.pk}", "Bản scan mờ, không đọc được")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert f"Đã gửi yêu cầu bổ sung hồ sơ {second.code}" in page.locator("body").inner_text()

    page.locator(f"tr.queue-row[data-code='{third.code}'] a.action-refuse").click()
    page.wait_for_url(f"**/officer/reception/{third.code}/refuse/")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "Vui lòng nêu lý do từ chối" in page.locator("main").inner_text()
    page.fill("#reason", "Không thuộc thẩm quyền giải quyết")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "Không có hồ sơ nào chờ tiếp nhận." in page.locator("main").inner_text()

    states = dict(Dossier.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("pk", "state"))
    assert states == {
        first.pk: DossierState.RECEIVED,
        second.pk: DossierState.SUPPLEMENT_REQUESTED,
        third.pk: DossierState.REFUSED,
    }
