"""Issue 21, once-only, the rest: a national answer corrected only with a reason, where the form
allows it (wizard and API, refused server-side otherwise), shown to the officer and the applicant
and kept in the look-up audit; and documents taken from a national database (the residence
confirmation of the population sandbox), landing in the applicant's store with their source and
standing for their component without an upload — served by the sandbox over the signed protocol."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from dossiers import services
from dossiers.constants import DocumentReuse, DocumentSource
from dossiers.models import Dossier, DossierDocument, NationalDataLookup, StoredDocument
from portal.services import api_token_create
from portal.settings.base import national_data_sources
from procedures.selectors import form_schema_validate
from tests.dossiers.factories import OnlineVersionFactory, StoredDocumentFactory, Team, make_pdf
from tests.factories import CitizenProfileFactory, with_totp
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db(transaction=True)
POPULATION = "Cơ sở dữ liệu quốc gia về dân cư"


def schema(*, correctable: bool) -> dict:
    name = {"name": "requester_name", "type": "text", "label": "Họ tên", "required": True}
    name["prefill"] = "profile.full_name"
    if correctable:
        name["correctable"] = True
    return {
        "fields": [
            name,
            {"name": "requester_id", "type": "citizen_id", "label": "Số định danh", "prefill": "profile.citizen_id"},
            {"name": "note", "type": "text", "label": "Ghi chú"},
        ]
    }


@pytest.fixture
def sandbox_lgsp(live_server, settings):
    settings.LGSP_CLIENT_ID = "portal-sandbox"
    settings.LGSP_SECRET = "lgsp-test-secret"  # noqa: S105
    settings.NATIONAL_DATA_SOURCES = national_data_sources(
        f"{live_server.url}/sandbox-lgsp", "portal-sandbox", "lgsp-test-secret", 5.0
    )
    return live_server


@pytest.fixture
def binh(db):
    return CitizenProfileFactory(citizen_id="079190001234", full_name="Tran Thi Binh (typed)", sex="female")


def _draft(client, version) -> Dossier:
    response = client.post(f"/dossiers/new/{version.procedure.code}/", {"national_consent": "on"})
    assert response.status_code == 302
    return Dossier.objects.get(procedure=version.procedure)


def _form_url(dossier) -> str:
    return f"/dossiers/drafts/{dossier.pk}/form/"


def test_the_schema_allows_correctable_only_on_a_prefilled_field():
    form_schema_validate(schema(correctable=True))
    with pytest.raises(Exception, match="chỉ trường có nguồn điền sẵn mới cho phép sửa có lý do"):
        form_schema_validate({"fields": [{"name": "a", "type": "text", "label": "A", "correctable": True}]})
    with pytest.raises(Exception, match="phải là true hoặc false"):
        form_schema_validate(
            {"fields": [{"name": "a", "type": "text", "label": "A", "prefill": "profile.full_name", "correctable": 1}]}
        )


def test_a_correction_needs_a_reason_and_is_shown_to_the_officer_and_the_applicant(client, sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=schema(correctable=True), requirement=False)
    client.force_login(binh.user)
    dossier = _draft(client, version)
    assert dossier.form_data["requester_name"] == "Trần Thị Bình"
    page = client.get(_form_url(dossier)).content.decode()
    assert "Nếu thông tin chưa đúng, bạn có thể sửa và nêu lý do bên dưới." in page
    assert 'name="data-_reason_requester_name"' in page

    # Changed without a reason: refused, nothing saved.
    refused = client.post(
        _form_url(dossier), {"data-requester_name": "Trần Thị Bính", "data-note": "x", "action": "save"}
    )
    assert refused.status_code == 400
    assert f"Bạn đã sửa “Họ tên” so với {POPULATION}: hãy nêu lý do sửa." in refused.content.decode()
    dossier.refresh_from_db()
    assert dossier.form_data["requester_name"] == "Trần Thị Bình" and dossier.form_corrections == {}

    # With the reason: taken, the original and the reason kept with the dossier and its look-up.
    reason = "Giấy khai sinh ghi Bính; CSDL ghi nhầm dấu"
    taken = client.post(
        _form_url(dossier),
        {"data-requester_name": "Trần Thị Bính", "data-_reason_requester_name": reason, "action": "next"},
    )
    assert taken.status_code == 302, re.findall(
        r"(?:invalid-feedback|alert)[^>]*>(.*?)</", taken.content.decode(), re.S
    )
    dossier.refresh_from_db()
    assert dossier.form_data["requester_name"] == "Trần Thị Bính"
    correction = dossier.form_corrections["requester_name"]
    assert (correction["original"], correction["reason"], correction["source"]) == (
        "Trần Thị Bình",
        reason,
        "population",
    )
    lookup = NationalDataLookup.objects.get(dossier=dossier)
    assert lookup.corrections == {
        "requester_name": {"original": "Trần Thị Bình", "value": "Trần Thị Bính", "reason": reason}
    }
    # Saved again as it stands (the documents step touches the draft): the correction stays.
    services.dossier_draft_update(user=binh.user, dossier=dossier, data=dossier.form_data)
    dossier.refresh_from_db()
    assert dossier.form_corrections["requester_name"]["reason"] == reason
    # Put back to the database's value: no correction left.
    page = client.get(_form_url(dossier)).content.decode()
    assert f"Giá trị trong {POPULATION}: Trần Thị Bình" in page

    review = client.post(f"/dossiers/drafts/{dossier.pk}/review/", {"declaration": "on"})
    assert review.status_code == 302, review.content.decode()[:2000]
    dossier.refresh_from_db()
    shown = f"Người nộp sửa, lý do: {reason}"
    citizen_page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert shown in citizen_page and f"giá trị trong {POPULATION}: Trần Thị Bình" in citizen_page

    team = Team(dossier.receiving_agency)
    client.force_login(with_totp(team.reception))
    officer_page = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert shown in officer_page and f"giá trị trong {POPULATION}: Trần Thị Bình" in officer_page
    assert "Trần Thị Bính" in officer_page


def test_putting_the_database_value_back_drops_the_correction(client, sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=schema(correctable=True), requirement=False)
    client.force_login(binh.user)
    dossier = _draft(client, version)
    services.dossier_draft_update(
        user=binh.user, dossier=dossier, data={"requester_name": "Khác"}, reasons={"requester_name": "Sai tên"}
    )
    services.dossier_draft_update(user=binh.user, dossier=dossier, data={"requester_name": "Trần Thị Bình"})
    dossier.refresh_from_db()
    assert dossier.form_data["requester_name"] == "Trần Thị Bình" and dossier.form_corrections == {}
    assert NationalDataLookup.objects.get(dossier=dossier).corrections == {}


def _api(user) -> APIClient:
    _token, raw = api_token_create(user=user, name="test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.mark.parametrize(
    ("correctable", "reasons", "expected"),
    [
        (
            False,
            {"requester_name": "lý do"},
            "“Họ tên” lấy từ Cơ sở dữ liệu quốc gia về dân cư; thủ tục này không cho phép sửa thông tin này.",
        ),
        (True, {}, "Bạn đã sửa “Họ tên” so với Cơ sở dữ liệu quốc gia về dân cư: hãy nêu lý do sửa."),
        (
            True,
            {"requester_name": "   "},
            "Bạn đã sửa “Họ tên” so với Cơ sở dữ liệu quốc gia về dân cư: hãy nêu lý do sửa.",
        ),
    ],
)
def test_the_api_refuses_a_changed_national_answer(sandbox_lgsp, binh, correctable, reasons, expected):
    version = OnlineVersionFactory(form_schema=schema(correctable=correctable), requirement=False)
    response = _api(binh.user).post(
        "/api/v1/dossiers/",
        {
            "procedure": version.procedure.code,
            "national_consent": True,
            "data": {"requester_name": "Trần Thị Bính"},
            "corrections": reasons,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["data.requester_name"] == [expected]
    assert not Dossier.objects.exists()
    # The look-up is recorded all the same (no dossier to bind it to).
    lookup = NationalDataLookup.objects.get()
    assert (lookup.user, lookup.dossier, lookup.status) == (binh.user, None, "found")


def test_the_api_takes_a_correction_with_its_reason_and_the_answers_otherwise(sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=schema(correctable=True), requirement=False)
    api = _api(binh.user)
    unchanged = api.post(
        "/api/v1/dossiers/", {"procedure": version.procedure.code, "national_consent": True}, format="json"
    )
    assert unchanged.status_code == 201, unchanged.json()
    first = Dossier.objects.get(code=unchanged.json()["code"])
    assert first.form_data["requester_name"] == "Trần Thị Bình" and first.form_corrections == {}
    assert first.form_sources["requester_name"] == "population"

    corrected = api.post(
        "/api/v1/dossiers/",
        {
            "procedure": version.procedure.code,
            "national_consent": True,
            "data": {"requester_name": "Trần Thị Bính"},
            "corrections": {"requester_name": "CSDL ghi nhầm dấu"},
        },
        format="json",
    )
    assert corrected.status_code == 201, corrected.json()
    dossier = Dossier.objects.get(code=corrected.json()["code"])
    assert dossier.form_data["requester_name"] == "Trần Thị Bính"
    assert dossier.form_corrections["requester_name"]["original"] == "Trần Thị Bình"
    lookup = NationalDataLookup.objects.get(dossier=dossier)
    assert lookup.corrections["requester_name"]["reason"] == "CSDL ghi nhầm dấu"


def test_the_api_refusal_is_in_english_on_request(sandbox_lgsp, binh):
    version = OnlineVersionFactory(form_schema=schema(correctable=False), requirement=False)
    response = _api(binh.user).post(
        "/api/v1/dossiers/",
        {"procedure": version.procedure.code, "national_consent": True, "data": {"requester_name": "X"}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["data.requester_name"] == [
        "“Họ tên” comes from the National Population Database; this procedure does not allow it to be corrected."
    ]


# --- documents from a national database ----------------------------------------------------------


def _residence_version():
    version = OnlineVersionFactory(form_schema=schema(correctable=False), requirement=False)
    requirement = DocumentRequirementFactory(
        version=version,
        name="Giấy xác nhận thông tin về cư trú",
        required=True,
        national_document="residence_confirmation",
    )
    return version, requirement


def test_a_national_document_lands_in_the_store_and_stands_for_its_component(client, sandbox_lgsp, binh):
    version, requirement = _residence_version()
    client.force_login(binh.user)
    dossier = _draft(client, version)
    attached = DossierDocument.objects.get(dossier=dossier, requirement=requirement)
    stored = attached.stored
    assert attached.reuse == DocumentReuse.NATIONAL
    assert (stored.source, stored.national_source, stored.national_document) == (
        DocumentSource.NATIONAL,
        "population",
        "residence_confirmation",
    )
    assert stored.owner == binh.user and stored.mime_type == "application/pdf"
    assert stored.file.read().startswith(b"%PDF")
    assert services.missing_requirements(dossier) == []
    lookup = NationalDataLookup.objects.get(dossier=dossier, fields=["document:residence_confirmation"])
    assert (lookup.status, lookup.consent) == ("found", True)

    form_page = client.get(_form_url(dossier)).content.decode()
    assert f"Giấy xác nhận thông tin về cư trú được lấy từ {POPULATION} và đã đính kèm sẵn ở bước Giấy tờ" in form_page
    documents_page = client.get(f"/dossiers/drafts/{dossier.pk}/documents/").content.decode()
    assert f"Lấy từ {POPULATION}</span>" in documents_page and "Môi trường thử nghiệm" in documents_page
    # Straight on to the review: nothing to upload.
    onward = client.post(f"/dossiers/drafts/{dossier.pk}/documents/", {"action": "next"})
    assert onward.status_code == 302 and onward["Location"].endswith("/review/")

    # A second dossier: the same document again, one copy in the store.
    second = OnlineVersionFactory(form_schema=schema(correctable=False), requirement=False)
    DocumentRequirementFactory(version=second, name="Xác nhận cư trú", national_document="residence_confirmation")
    _draft(client, second)
    assert StoredDocument.objects.filter(owner=binh.user, source=DocumentSource.NATIONAL).count() == 1
    store = client.get("/dossiers/store/").content.decode()
    assert "Lấy từ cơ sở dữ liệu quốc gia" in store


def test_the_api_files_without_uploading_the_national_document(sandbox_lgsp, binh):
    version, requirement = _residence_version()
    api = _api(binh.user)
    without_consent = api.post("/api/v1/dossiers/", {"procedure": version.procedure.code}, format="json")
    assert without_consent.status_code == 400
    assert f"documents[{requirement.pk}]" in without_consent.json()["error"]["fields"]
    response = api.post(
        "/api/v1/dossiers/", {"procedure": version.procedure.code, "national_consent": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    dossier = Dossier.objects.get(code=response.json()["code"])
    document = dossier.documents.get()
    assert document.reuse == DocumentReuse.NATIONAL and document.stored.national_document == "residence_confirmation"
    # A file sent for the component is taken instead.
    upload = api.post(
        "/api/v1/dossiers/",
        {
            "procedure": version.procedure.code,
            "national_consent": "true",
            f"documents[{requirement.pk}]": SimpleUploadedFile("xac-nhan.pdf", make_pdf(), "application/pdf"),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    assert Dossier.objects.get(code=upload.json()["code"]).documents.get().reuse == DocumentReuse.NONE


def test_an_unreachable_database_falls_back_on_the_store_or_asks_for_the_upload(client, settings, sandbox_lgsp, binh):
    version, requirement = _residence_version()
    client.force_login(binh.user)
    first = _draft(client, version)  # the sandbox answers: the document is in the store now
    settings.NATIONAL_DATA_SOURCES = national_data_sources("http://127.0.0.1:9", "c", "s", 1.0)
    second_version, second_requirement = _residence_version()
    second = _draft(client, second_version)
    assert second.documents.get().stored == first.documents.get().stored
    assert NationalDataLookup.objects.filter(
        dossier=second, fields=["document:residence_confirmation"]
    ).get().status == ("unavailable")
    # Someone whose store has none: the upload is asked for, and the form says why.
    other = CitizenProfileFactory(citizen_id="001203004567")
    client.force_login(other.user)
    third_version, third_requirement = _residence_version()
    third = _draft(client, third_version)
    assert services.missing_requirements(third) == [third_requirement]
    page = client.get(_form_url(third)).content.decode()
    assert f"Không kết nối được {POPULATION}; hãy tự nhập các thông tin này." in page
    assert json.dumps(sorted(third.form_sources)) == "[]"


def test_without_consent_the_stored_national_document_is_offered_first_with_its_source(client, sandbox_lgsp, binh):
    version, _requirement = _residence_version()
    client.force_login(binh.user)
    _draft(client, version)  # with consent: the residence confirmation lands in the store
    StoredDocumentFactory(owner=binh.user, title="Ảnh chụp khác")
    later, requirement = _residence_version()
    response = client.post(f"/dossiers/new/{later.procedure.code}/", {})
    dossier = Dossier.objects.get(procedure=later.procedure)
    assert response.status_code == 302 and not dossier.documents.exists()
    page = client.get(f"/dossiers/drafts/{dossier.pk}/documents/").content.decode()
    select = re.search(rf'<select[^>]*name="store\[{requirement.pk}\]"[^>]*>(.*?)</select>', page, re.S)
    options = re.findall(r"<option value=\"(\d+)\">([^<]*)</option>", select.group(1))
    assert options[0][1].startswith("Giấy xác nhận thông tin về cư trú")
    assert options[0][1].endswith(f"· lấy từ {POPULATION}")
