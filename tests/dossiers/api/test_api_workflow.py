"""Issue 18: an outside client finishes the workflow with nothing but bearer tokens and what the
API tells it.

The world (an agency with its seal, a procedure, its officers, a citizen) is made here as an
administrator would; from then on each party holds only its token, minted as the operator's
command does, and the client reads every action name, field name, choice and url from the
API's answers — no id from the database. It files, receives, assigns, proposes, approves and
returns, then downloads every file it is shown with its own token: the signed result carries
the agency's signature, every slip is a PDF.
"""

import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from rest_framework.test import APIClient

from signing.services import trusted_certificate_add
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import AgencyFactory, CitizenProfileFactory, OfficerMembershipFactory
from tests.signing.conftest import _fresh_signer_cache, import_identity, pki  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

AGENCY_NAME = "Ủy ban nhân dân xã Demo"


def _client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _token_of(email: str) -> APIClient:
    """A client holding the token the operator's command prints for that account."""
    out = StringIO()
    call_command("create_api_token", "--email", email, stdout=out)
    return _client_with(out.getvalue().strip())


def _detail(client, code: str) -> dict:
    response = client.get(f"/api/v1/dossiers/{code}/")
    assert response.status_code == 200, response.content
    return response.json()


def _offered(detail: dict, name: str) -> dict:
    """The action ``name`` as the detail offers it, with its fields by name."""
    offered = {a["name"]: a for a in detail["available_actions"]}
    assert name in offered, sorted(offered)
    action = offered[name]
    return {**action, "fields": {f["name"]: f for f in action["fields"]}}


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Perform one action as the API offers it; what it sets off on commit (slips, the seal) runs."""

    def perform(client, code: str, name: str, body: dict) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/dossiers/{code}/actions/", {"action": name, **body}, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    return perform


def _download_pdf(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    assert response["Content-Type"] == "application/pdf", url
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF-"), url
    return content


def _signatures(content: bytes) -> int:
    return len(PdfFileReader(io.BytesIO(content)).embedded_signatures)


def _file_urls(detail: dict) -> list[str]:
    return [item["url"] for key in ("documents", "slips", "results") for item in detail[key]]


@pytest.fixture
def world(import_identity, pki):  # noqa: F811 - the fixtures imported above
    agency = AgencyFactory(name=AGENCY_NAME)
    import_identity(agency=agency, display_name=AGENCY_NAME)
    trusted_certificate_add(data=pki.root.pem)
    version = OnlineVersionFactory(procedure__agencies=[agency])
    people = {
        role: OfficerMembershipFactory(agency=agency, role=role, user__full_name=name).user
        for role, name in (
            ("reception", "Lê Tiếp Nhận"),
            ("department_head", "Phạm Trưởng Phòng"),
            ("specialist", "Hoàng Chuyên Viên"),
            ("leader", "Vũ Lãnh Đạo"),
        )
    }
    OfficerMembershipFactory(agency=agency, role="specialist", user__full_name="Đỗ Chuyên Viên Khác")
    citizen = CitizenProfileFactory(full_name="Nguyễn Văn Dân").user
    return {"procedure": version.procedure.code, "citizen": citizen.email, **{k: u.email for k, u in people.items()}}


def test_an_outside_client_finishes_the_workflow_with_what_the_api_tells_it(
    world, act, django_capture_on_commit_callbacks
):
    citizen = _token_of(world["citizen"])
    reception = _token_of(world["reception"])
    head = _token_of(world["department_head"])
    specialist = _token_of(world["specialist"])
    leader = _token_of(world["leader"])

    # The citizen reads the procedure's form and documents from the catalogue and files.
    procedure = citizen.get(f"/api/v1/procedures/{world['procedure']}/").json()
    answers = {f["name"]: "Nguyễn Văn Dân" for f in procedure["form"]["fields"] if f.get("required")}
    body = {"procedure": procedure["code"], "data": json.dumps(answers)}
    for document in procedure["documents"]:
        body[f"documents[{document['id']}]"] = io.BytesIO(make_pdf())
        body[f"documents[{document['id']}]"].name = "to-khai.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        filed = citizen.post("/api/v1/dossiers/", body, format="multipart")
    assert filed.status_code == 201, filed.content
    code = filed.json()["code"]

    # Reception receives.
    receive = _offered(_detail(reception, code), "receive")
    assert not [f for f in receive["fields"].values() if f["required"]]
    assert act(reception, code, "receive", {"message": "Hồ sơ đầy đủ."})["status_code"] == 2

    # The head assigns the specialist it knows by e-mail, picked from the field's choices.
    assign = _offered(_detail(head, code), "assign")
    assignee = assign["fields"]["assignee"]
    assert assignee["type"] == "officer" and assignee["required"]
    me = specialist.get("/api/v1/me/").json()
    chosen = [c for c in assignee["choices"] if me["email"] in c["label"]]
    assert len(chosen) == 1 and len(assignee["choices"]) == 2, assignee["choices"]
    assert act(head, code, "assign", {"assignee": chosen[0]["value"]})["status_code"] == 4

    # The specialist proposes to grant, with a draft made from the template.
    propose = _offered(_detail(specialist, code), "propose")
    grant = next(c["value"] for c in propose["fields"]["recommendation"]["choices"] if c["label"] == "Giải quyết")
    assert propose["fields"]["generate"]["type"] == "boolean"
    act(specialist, code, "propose", {"recommendation": grant, "result_title": "Giấy xác nhận", "generate": "true"})

    # The leader approves: the result is sealed.
    _offered(_detail(leader, code), "approve")
    assert act(leader, code, "approve", {"message": "Đồng ý."})["status_code"] == 9

    # Reception returns it online, the method picked from its choices.
    returned = _offered(_detail(reception, code), "return_result")
    online = next(c["value"] for c in returned["fields"]["method"]["choices"] if "Trực tuyến" in c["label"])
    assert act(reception, code, "return_result", {"method": online})["status_code"] == 10

    # The citizen downloads the signed result and every slip it is shown, with its own token.
    mine = _detail(citizen, code)
    assert mine["status_code"] == 10 and len(mine["results"]) == 1 and mine["slips"]
    assert _signatures(_download_pdf(citizen, mine["results"][0]["url"])) == 1
    for url in _file_urls(mine):
        _download_pdf(citizen, url)
    # Each officer downloads every file its own detail shows, with its own token.
    for officer in (reception, head, specialist, leader):
        shown = _detail(officer, code)
        assert shown["results"] and shown["slips"] and shown["documents"]
        for url in _file_urls(shown):
            _download_pdf(officer, url)
