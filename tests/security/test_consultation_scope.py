"""A consulted agency (liên thông) sees the question and the documents it was sent, not the
whole dossier (issue 17): on its page, through the API with a token and with a session, and in
file downloads. The documents sent are chosen at consult time (every current document when the
specialist chooses none); the receiving agency still sees everything.
"""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from dossiers import services
from dossiers.models import Consultation
from portal.constants import OfficerRole
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    StoredDocumentFactory,
    Team,
    refresh,
    to_processing,
)
from tests.dossiers.helpers import officer_api
from tests.factories import AgencyFactory, OfficerMembershipFactory, with_totp

pytestmark = pytest.mark.django_db

QUESTION = "Đề nghị xác minh nơi cư trú của người nộp."
ASSIGN_NOTE = "Nội bộ: ưu tiên xử lý."


@pytest.fixture
def case():
    dossier = DossierFactory(applicant_id_number="001099012345", applicant_phone="0912345678")
    shared = DossierDocumentFactory(
        dossier=dossier, stored=StoredDocumentFactory(owner=dossier.applicant, name="giay-xac-nhan-cu-tru.pdf")
    )
    kept = DossierDocumentFactory(
        dossier=dossier, stored=StoredDocumentFactory(owner=dossier.applicant, name="so-ho-khau-rieng.pdf")
    )
    team = Team(dossier.receiving_agency)
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk, note=ASSIGN_NOTE)
    other = AgencyFactory(name="Công an xã được hỏi")
    services.dossier_consult(
        user=team.specialist,
        dossier_id=dossier.pk,
        agency_code=other.code,
        question=QUESTION,
        days=3,
        document_ids=[shared.pk],
    )
    consulted = with_totp(OfficerMembershipFactory(agency=other, role=OfficerRole.SPECIALIST).user)
    return refresh(dossier), team, consulted, shared, kept


def test_the_consultation_records_the_documents_sent(case):
    dossier, _team, _consulted, shared, _kept = case
    consultation = Consultation.objects.get(dossier=dossier)
    assert list(consultation.documents.all()) == [shared]
    assert dossier.events.get(action="consult").payload["documents"] == [shared.pk]


def test_the_page_shows_the_question_and_the_shared_documents_only(client, case):
    dossier, _team, consulted, shared, kept = case
    client.force_login(consulted)
    response = client.get(f"/officer/dossiers/{dossier.code}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert QUESTION in body and shared.stored.name in body and 'id="action-consult_reply"' in body
    for secret in (kept.stored.name, "001099012345", "0912345678", ASSIGN_NOTE, dossier.applicant_name):
        assert secret not in body
    assert 'id="dossier-steps"' not in body and 'id="dossier-results"' not in body


@pytest.mark.parametrize("door", ["token", "session"])
def test_the_api_detail_holds_the_question_and_the_shared_documents_only(client, case, door):
    dossier, _team, consulted, shared, kept = case
    if door == "token":
        api = officer_api(consulted)
    else:
        client.force_login(consulted)
        api = client
    response = api.get(f"/api/v1/dossiers/{dossier.code}/")
    assert response.status_code == 200
    body = response.json()
    assert [d["id"] for d in body["documents"]] == [shared.pk]
    assert body["timeline"] == [] and body["slips"] == [] and body["results"] == []
    assert body["data"] == {} and body["applicant_name"] == ""
    assert [c["question"] for c in body["consultations"]] == [QUESTION]
    assert body["consultations"][0]["documents"] == [shared.pk]
    assert [a["name"] for a in body["available_actions"]] == ["consult_reply"]
    text = response.content.decode()
    assert kept.stored.name not in text and "001099012345" not in text and ASSIGN_NOTE not in text


# door -> (shared document, other document, result, applicant page, control sheet) as status codes
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("consulted", (200, 404, 404, 404, 404)),
        ("receiving", (200, 200, 200, 200, 200)),
    ],
)
def test_file_and_page_doors(client, case, who, expected):
    dossier, team, consulted, shared, kept = case
    result_stored = StoredDocumentFactory(owner=team.specialist, name="ket-qua.pdf")
    dossier.results.create(number=1, code=f"{dossier.code}-KQ1", title="Kết quả", stored=result_stored)
    client.force_login(consulted if who == "consulted" else with_totp(team.reception))
    got = (
        client.get(f"/files/documents/{shared.stored_id}/").status_code,
        client.get(f"/files/documents/{kept.stored_id}/").status_code,
        client.get(f"/files/documents/{result_stored.pk}/").status_code,
        client.get(f"/dossiers/{dossier.code}/").status_code,
        client.get(f"/officer/dossiers/{dossier.code}/control-sheet/").status_code,
    )
    assert got == expected


def test_the_consulted_agency_answers_through_the_api(case):
    dossier, _team, consulted, _shared, _kept = case
    consultation = Consultation.objects.get(dossier=dossier)
    response = officer_api(consulted).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "consult_reply", "consultation": consultation.pk, "answer": "Đúng nơi cư trú đã khai"},
        format="json",
    )
    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.answer == "Đúng nơi cư trú đã khai"
    # Any other action stays the receiving agency's.
    refused = officer_api(consulted).post(
        f"/api/v1/dossiers/{dossier.code}/actions/", {"action": "stop", "reason": "Thử dừng hồ sơ"}, format="json"
    )
    assert refused.status_code == 403


def test_no_choice_shares_every_current_document_and_a_foreign_id_is_refused():
    dossier = DossierFactory()
    first, second = DossierDocumentFactory(dossier=dossier), DossierDocumentFactory(dossier=dossier)
    foreign = DossierDocumentFactory()
    team = Team(dossier.receiving_agency)
    to_processing(dossier, team)
    one, two = AgencyFactory(), AgencyFactory()
    with pytest.raises(ValidationError) as error:
        services.dossier_consult(
            user=team.specialist,
            dossier_id=dossier.pk,
            agency_code=one.code,
            question=QUESTION,
            days=2,
            document_ids=[foreign.pk],
        )
    assert "Giấy tờ gửi kèm phải là giấy tờ hiện có của hồ sơ." in str(error.value)
    assert not Consultation.objects.filter(dossier=dossier).exists()
    services.dossier_consult(
        user=team.specialist, dossier_id=dossier.pk, agency_code=two.code, question=QUESTION, days=2
    )
    assert set(Consultation.objects.get(dossier=dossier).documents.all()) == {first, second}


def test_the_page_form_offers_the_documents_to_send(client):
    dossier = DossierFactory()
    document = DossierDocumentFactory(dossier=dossier)
    team = Team(dossier.receiving_agency)
    to_processing(dossier, team)
    other = AgencyFactory()
    client.force_login(with_totp(team.specialist))
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert f'name="documents" value="{document.pk}"' in body
    response = client.post(
        f"/officer/dossiers/{dossier.code}/actions/consult/",
        {"agency": other.code, "question": QUESTION, "days": "2", "documents": [str(document.pk)]},
    )
    assert response.status_code == 302
    assert list(Consultation.objects.get(dossier=dossier).documents.all()) == [document]


def test_the_migration_shares_what_was_current_when_each_consultation_was_asked(case):
    dossier, team, _consulted, shared, kept = case
    consultation = Consultation.objects.get(dossier=dossier)
    consultation.documents.clear()
    migration = importlib.import_module("dossiers.migrations.0013_consultation_documents")
    migration.share_documents_current_then(apps, None)
    assert set(consultation.documents.all()) == {shared, kept}


@pytest.mark.parametrize("door", ["page", "api"])
def test_the_consultations_worklist_names_the_question_not_the_applicant(client, case, door):
    dossier, _team, consulted, _shared, _kept = case
    if door == "page":
        client.force_login(consulted)
        response = client.get("/officer/worklists/consultations/")
    else:
        response = officer_api(consulted).get("/api/v1/officer/worklists/consultations/")
    text = response.content.decode()
    assert response.status_code == 200 and dossier.code in text and QUESTION[:40] in text
    assert dossier.applicant_name not in text
