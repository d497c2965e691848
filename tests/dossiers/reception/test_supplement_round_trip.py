"""A supplement asked for before reception sends the answered dossier back to the reception queue."""

import pytest

from dossiers import services
from dossiers.constants import DossierState
from portal.constants import OfficerRole
from tests.dossiers.factories import make_pdf
from tests.factories import CitizenProfileFactory, OfficerMembershipFactory

pytestmark = pytest.mark.django_db


def test_supplement_before_reception_returns_to_submitted(online_version):
    applicant = CitizenProfileFactory().user
    requirement = online_version.documents.get()
    dossier, _pin, _created = services.dossier_file(
        user=applicant,
        procedure_code=online_version.procedure.code,
        data={"full_name": "Phạm Thị Hoa"},
        files={requirement.pk: ("to_khai.pdf", make_pdf())},
    )
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    services.dossier_request_supplement(
        user=officer,
        dossier_id=dossier.pk,
        items=[{"requirement_id": requirement.pk, "reason": "Tờ khai chưa có chữ ký."}],
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUPPLEMENT_REQUESTED
    assert dossier.paused_at is not None

    services.dossier_supplement_submit(
        user=applicant, dossier_id=dossier.pk, files={requirement.pk: ("to_khai_ky.pdf", make_pdf(2))}
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.status_code == 1
    assert dossier.received_at is None and dossier.due_at is None
    assert dossier.paused_at is None
    assert services.events_verify(codes=[dossier.code]) == []
    # Back in the queue, reception can now receive it and the clock starts then.
    services.dossier_receive(user=officer, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RECEIVED and dossier.due_at is not None
