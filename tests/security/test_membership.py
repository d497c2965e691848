"""Membership ends access (issue 17): a member removed from an organisation loses the
organisation's dossiers and files at once — the files it uploaded into them included, which
belong to the organisation — through the file door, the dossier page, the API (token and
session) and its document store. A personal file of its own stays its own.
"""

import pytest

from dossiers import selectors
from portal.constants import OrganisationRole
from portal.services.organisations import organisation_remove_member
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, StoredDocumentFactory
from tests.dossiers.helpers import api_for
from tests.factories import OrganisationMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    owner = OrganisationMembershipFactory(role=OrganisationRole.OWNER)
    organisation = owner.organisation
    member = OrganisationMembershipFactory(organisation=organisation).user
    dossier = DossierFactory(applicant=member, organisation=organisation)
    uploaded = DossierDocumentFactory(
        dossier=dossier, stored=StoredDocumentFactory(owner=member, organisation=organisation, name="dang-ky-kd.pdf")
    )
    # A file from the member's own store, reused in the organisation's dossier: still the member's.
    personal = DossierDocumentFactory(dossier=dossier, stored=StoredDocumentFactory(owner=member, name="cccd.pdf"))
    return owner.user, organisation, member, dossier, uploaded.stored, personal.stored


def _doors(client, member, dossier, uploaded, personal) -> dict:
    client.force_login(member)
    store = list(selectors.stored_documents_for_user(user=member))
    return {
        "uploaded_file": client.get(f"/files/documents/{uploaded.pk}/").status_code,
        "personal_file": client.get(f"/files/documents/{personal.pk}/").status_code,
        "dossier_page": client.get(f"/dossiers/{dossier.code}/").status_code,
        "api_session": client.get(f"/api/v1/dossiers/{dossier.code}/").status_code,
        "api_token": api_for(member).get(f"/api/v1/dossiers/{dossier.code}/").status_code,
        "tracking_personal": "dang-ky-kd.pdf" in client.get("/track/", {"code": dossier.code}).content.decode(),
        "store_has_upload": uploaded in store,
        "store_has_personal": personal in store,
    }


MEMBER = {
    "uploaded_file": 200,
    "personal_file": 200,
    "dossier_page": 200,
    "api_session": 200,
    "api_token": 200,
    "tracking_personal": True,
    "store_has_upload": True,
    "store_has_personal": True,
}
REMOVED = {
    "uploaded_file": 404,
    "personal_file": 200,
    "dossier_page": 404,
    "api_session": 404,
    "api_token": 404,
    "tracking_personal": False,
    "store_has_upload": False,
    "store_has_personal": True,
}


def test_a_member_has_the_organisations_dossier_and_files(client, case):
    _owner, _organisation, member, dossier, uploaded, personal = case
    assert _doors(client, member, dossier, uploaded, personal) == MEMBER


def test_removal_ends_access_to_the_organisations_dossiers_and_files_at_once(client, case):
    owner, organisation, member, dossier, uploaded, personal = case
    token_client = api_for(member)  # a token made while a member
    organisation_remove_member(actor=owner, organisation=organisation, member=member)
    assert _doors(client, member, dossier, uploaded, personal) == REMOVED
    assert token_client.get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404


def test_removed_through_the_page_the_owner_uses(client, case):
    owner, organisation, member, dossier, uploaded, personal = case
    client.force_login(owner)
    response = client.post(f"/organisations/{organisation.pk}/members/{member.pk}/remove/")
    assert response.status_code in (302, 303)
    client.logout()
    assert _doors(client, member, dossier, uploaded, personal) == REMOVED


def test_the_other_members_keep_the_files(client, case):
    owner, organisation, member, dossier, uploaded, _personal = case
    organisation_remove_member(actor=owner, organisation=organisation, member=member)
    client.force_login(owner)
    assert client.get(f"/files/documents/{uploaded.pk}/").status_code == 200
    assert client.get(f"/dossiers/{dossier.code}/").status_code == 200
