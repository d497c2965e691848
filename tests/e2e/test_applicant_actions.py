"""Browser: a citizen answers a supplement request, then withdraws another dossier and rates a third."""

import pytest
from django.db import transaction

from dossiers import services
from dossiers.constants import DossierState
from dossiers.models import Dossier
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, make_pdf
from tests.factories import UserFactory


def _supplement_requested(applicant):
    dossier = DossierFactory(supplement_requested=True, applicant=applicant)
    DossierDocumentFactory(dossier=dossier)
    requirement = dossier.procedure_version.documents.first()
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        services.event_append(
            dossier=locked,
            action="request_supplement",
            from_state=DossierState.PROCESSING,
            to_state=DossierState.SUPPLEMENT_REQUESTED,
            payload={"items": [{"requirement_id": requirement.pk, "field": None, "reason": "Bản scan bị mờ"}]},
        )
        services.dossier_notify_status(locked, email=False)
    return dossier, requirement


@pytest.mark.e2e
def test_citizen_supplements_withdraws_and_rates(page, login, tmp_path):
    citizen = UserFactory()
    dossier, requirement = _supplement_requested(citizen)
    pending = DossierFactory(processing=True, applicant=citizen)
    returned = DossierFactory(returned=True, applicant=citizen)
    login(citizen)

    page.goto("/notifications/")
    assert page.locator("#unread-notifications").inner_text().startswith("1")
    assert f"Hồ sơ {dossier.code} cần bổ sung" in page.locator("main").inner_text()

    page.goto(f"/dossiers/{dossier.code}/supplement/")
    assert "Bản scan bị mờ" in page.locator("#supplement-items").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    assert "Chưa bổ sung giấy tờ" in page.locator("#error-summary").inner_text()
    pdf = tmp_path / "to_khai_ro_net.pdf"
    pdf.write_bytes(make_pdf())
    page.set_input_files(f"input[name='documents[{requirement.pk}]']", str(pdf))
    page.fill("#note", "Đã scan lại bản rõ nét")
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING

    page.goto(f"/dossiers/{pending.code}/withdraw/")
    page.fill("#reason", "Không còn nhu cầu")
    page.check("#confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Rút hồ sơ").click()
    pending.refresh_from_db()
    assert pending.state == DossierState.WITHDRAWAL_REQUESTED

    page.goto(f"/dossiers/{returned.code}/rate/")
    page.get_by_label("Rất hài lòng").check()
    page.fill("#comment", "Cán bộ hướng dẫn tận tình")
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").click()
    returned.refresh_from_db()
    assert (returned.rating, returned.rating_comment) == ("very_satisfied", "Cán bộ hướng dẫn tận tình")
