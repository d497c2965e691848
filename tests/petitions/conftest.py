"""A procedure with its agency and that agency's officers, a second agency, two citizens."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dossiers.petitions import services
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierFactory
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import ProcedureFactory

CONTENT = "Thời gian giải quyết thủ tục kéo dài hơn quy định, đề nghị cơ quan xem xét và trả lời."


@pytest.fixture
def world(db):
    agency = AgencyFactory(name="Sở Tư pháp thử")
    other_agency = AgencyFactory(name="Sở Xây dựng thử")
    procedure = ProcedureFactory(agencies=[agency])
    owner = UserFactory(full_name="Nguyễn Thị Chủ Đơn")
    dossier = DossierFactory(applicant=owner, receiving_agency=agency, procedure_version__procedure=procedure)
    return SimpleNamespace(
        agency=agency,
        other_agency=other_agency,
        procedure=procedure,
        dossier=dossier,
        owner=owner,
        other=UserFactory(),
        officer=with_totp(OfficerMembershipFactory(agency=agency, role=OfficerRole.RECEPTION).user),
        leader=with_totp(OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user),
        specialist=with_totp(OfficerMembershipFactory(agency=agency, role=OfficerRole.SPECIALIST).user),
        stranger=with_totp(OfficerMembershipFactory(agency=other_agency, role=OfficerRole.RECEPTION).user),
    )


def file_one(world, *, user=None, consent=True, now=None, **kwargs):
    values = {
        "kind": "feedback",
        "title": "Chậm giải quyết hồ sơ",
        "content": CONTENT,
        "consent_publish": consent,
        "procedure_code": world.procedure.code,
    }
    if user is None:
        values.update(contact_name="Trần Văn Ẩn Danh", contact_phone="0912345678", contact_email="an.danh@example.vn")
    values.update(kwargs)
    return services.petition_file(user=user, now=now, **values)


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))
