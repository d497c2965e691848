"""The wizard in the GOV.UK habit (issue 19): no page for a choice already made."""

import pytest
from django.urls import reverse

from dossiers.models import Dossier
from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import AgencyFactory, CitizenProfileFactory, OrganisationMembershipFactory
from tests.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(db):
    return CitizenProfileFactory(full_name="Nguyễn Văn Một").user


# --- point 1: step 1 is skipped when it would ask nothing -------------------------------------


def test_one_applicant_and_one_agency_lands_on_the_form(client, citizen):
    version = OnlineVersionFactory()
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:draft_form", args=[dossier.pk])
    assert (dossier.applicant, dossier.organisation, dossier.receiving_agency) == (
        citizen,
        None,
        version.procedure.agencies.get(),
    )
    page = client.get(response["Location"]).content.decode()
    # The form itself, not the applicant step.
    assert "Ai nộp hồ sơ này?" not in page and '<h2 class="h5">Tờ khai</h2>' in page


def test_an_unfinished_draft_is_offered_instead_of_a_new_one(client, citizen):
    version = OnlineVersionFactory()
    client.force_login(citizen)
    client.get(f"/dossiers/new/{version.procedure.code}/")
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    assert "Bạn có bản nháp chưa nộp của thủ tục này" in response.content.decode()
    assert Dossier.objects.count() == 1


def test_two_agencies_are_a_choice(client, citizen):
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[AgencyFactory(), AgencyFactory()]))
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ai nộp hồ sơ này?" in page and "Nơi tiếp nhận hồ sơ" in page
    assert not Dossier.objects.exists()


def test_a_member_of_an_organisation_chooses_who_applies(client, citizen):
    membership = OrganisationMembershipFactory(user=citizen)
    version = OnlineVersionFactory(for_organisations=True)
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tôi (công dân) tự nộp hồ sơ" in page and membership.organisation.name in page
    assert not Dossier.objects.exists()


def test_an_organisation_member_filing_a_citizens_only_procedure_has_no_choice(client, citizen):
    OrganisationMembershipFactory(user=citizen)
    version = OnlineVersionFactory(for_organisations=False)
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 302
    assert Dossier.objects.get().organisation is None
