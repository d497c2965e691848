"""The dossiers API: filing (multipart, idempotent), my dossiers, detail, public tracking."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from dossiers.constants import DossierState
from dossiers.models import Dossier
from dossiers.selectors import dossier_check_pin
from portal.constants import OrganisationRole
from portal.services import organisation_remove_member
from tests.dossiers.factories import (
    TEST_PIN,
    DossierDocumentFactory,
    DossierFactory,
    OnlineVersionFactory,
    make_pdf,
    make_png,
)
from tests.dossiers.helpers import api_for
from tests.factories import OrganisationMembershipFactory, UserFactory
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/dossiers/"


@pytest.fixture
def version(db):
    """An online procedure with two required PDF components: Tờ khai and Giấy chứng sinh."""
    version = OnlineVersionFactory()
    DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True, order=2)
    return version


@pytest.fixture
def requirements(version):
    return list(version.documents.order_by("order", "pk"))


@pytest.fixture
def applicant(db):
    return UserFactory(full_name="Trần Thị Nộp")


@pytest.fixture
def api(applicant):
    return api_for(applicant)


def make_js_pdf() -> bytes:
    """A PDF that runs JavaScript when opened (built by hand: pypdf 7 dropped ``add_js``)."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf(name="to-khai.pdf", *, javascript=False, **kwargs):
    content = make_js_pdf() if javascript else make_pdf(**kwargs)
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def payload(version, requirements, **overrides):
    body = {
        "procedure": version.procedure.code,
        "data": json.dumps({"full_name": "Trần Thị Nộp", "note": "Gửi qua API"}),
        f"documents[{requirements[0].pk}]": pdf("to-khai.pdf"),
        f"documents[{requirements[1].pk}]": pdf("giay-chung-sinh.pdf", pages=2),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_filing_with_two_pdfs_answers_201_with_code_and_pin(api, version, requirements, applicant):
    response = api.post(URL, payload(version, requirements), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    agency = version.procedure.agencies.first()
    assert re.fullmatch(rf"{re.escape(agency.code)}-\d{{6}}-0001", body["code"])
    assert body["status"] == DossierState.SUBMITTED
    assert body["status_code"] == 1
    assert body["status_label"] == "Mới đăng ký"
    assert re.fullmatch(r"\d{8}", body["tracking_pin"])
    dossier = Dossier.objects.get(code=body["code"])
    assert dossier.applicant == applicant
    assert dossier.form_data["full_name"] == "Trần Thị Nộp"
    assert sorted(d.stored.name for d in dossier.documents.all()) == ["giay-chung-sinh.pdf", "to-khai.pdf"]
    assert dossier_check_pin(code=body["code"], pin=body["tracking_pin"]) == dossier


def test_data_may_be_a_json_object_in_a_json_body(api, version):
    version.documents.update(required=False)
    response = api.post(URL, {"procedure": version.procedure.code, "data": {"full_name": "A B"}}, format="json")
    assert response.status_code == 201, response.json()


def test_idempotent_retry_returns_the_same_dossier_without_a_pin(api, version, requirements):
    first = api.post(URL, payload(version, requirements), format="multipart", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 201
    again = api.post(URL, payload(version, requirements), format="multipart", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    assert again.json()["tracking_pin"] is None
    assert Dossier.objects.count() == 1
    other = api.post(URL, payload(version, requirements), format="multipart", HTTP_IDEMPOTENCY_KEY="abc-124")
    assert other.status_code == 201 and other.json()["code"] != first.json()["code"]


def test_idempotency_key_is_per_user(version, requirements):
    one, two = api_for(UserFactory()), api_for(UserFactory())
    a = one.post(URL, payload(version, requirements), format="multipart", HTTP_IDEMPOTENCY_KEY="same")
    b = two.post(URL, payload(version, requirements), format="multipart", HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["code"] != b.json()["code"]


def _field_errors(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"]
    return body["error"]["fields"]


@pytest.mark.parametrize(
    ("case", "field", "fragment"),
    [
        ("unknown_procedure", "procedure", "Không tìm thấy thủ tục"),
        ("no_procedure", "procedure", "Thiếu mã thủ tục"),
        ("missing_required_field", "data.full_name", ""),
        ("data_not_json", "data", "JSON"),
        ("data_not_object", "data", "đối tượng JSON"),
        ("png_for_pdf_component", "documents[0]", ""),
        ("javascript_pdf", "documents[0]", ""),
        ("encrypted_pdf", "documents[0]", ""),
        ("missing_required_document", "documents[1]", "Thiếu giấy tờ bắt buộc"),
        ("foreign_requirement", "documents", "không thuộc thủ tục"),
        ("bad_part_name", "file", "documents["),
        ("not_a_member", "on_behalf_of", "thành viên"),
        ("unknown_agency", "agency", "Cơ quan tiếp nhận"),
    ],
)
def test_bad_filings_are_400_with_per_field_vietnamese_messages(api, version, requirements, case, field, fragment):
    r0, r1 = requirements
    overrides = {
        "unknown_procedure": lambda: {"procedure": "9.999999"},
        "no_procedure": lambda: {"procedure": ""},
        "missing_required_field": lambda: {"data": json.dumps({"note": "x"})},
        "data_not_json": lambda: {"data": "{not json"},
        "data_not_object": lambda: {"data": "[1, 2]"},
        "png_for_pdf_component": lambda: {f"documents[{r0.pk}]": SimpleUploadedFile("a.pdf", make_png())},
        "javascript_pdf": lambda: {f"documents[{r0.pk}]": pdf(javascript=True)},
        "encrypted_pdf": lambda: {f"documents[{r0.pk}]": pdf(password="secret")},
        "missing_required_document": lambda: {f"documents[{r1.pk}]": None},
        "foreign_requirement": lambda: {f"documents[{DocumentRequirementFactory().pk}]": pdf()},
        "bad_part_name": lambda: {"file": pdf()},
        "not_a_member": lambda: {"on_behalf_of": "999999"},
        "unknown_agency": lambda: {"agency": "000.00.00.X00"},
    }[case]()
    field = field.replace("documents[0]", f"documents[{r0.pk}]").replace("documents[1]", f"documents[{r1.pk}]")
    response = api.post(URL, payload(version, requirements, **overrides), format="multipart")
    fields = _field_errors(response)
    assert field in fields, fields
    assert all(isinstance(m, str) and m for m in fields[field])
    assert fragment in " ".join(fields[field])
    assert not Dossier.objects.exists()


def test_script_pdf_is_refused_with_a_reason(api, version, requirements):
    r0 = requirements[0]
    response = api.post(
        URL, payload(version, requirements, **{f"documents[{r0.pk}]": pdf(javascript=True)}), format="multipart"
    )
    message = " ".join(_field_errors(response)[f"documents[{r0.pk}]"])
    assert "JavaScript" in message or "mã lệnh" in message or "script" in message.lower()


def test_without_a_token_is_401_in_the_common_format(version, requirements):
    response = APIClient().post(URL, payload(version, requirements), format="multipart")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert APIClient().get(URL).status_code == 401
    assert APIClient().get(f"{URL}X-260101-0001/").status_code == 401


def test_filing_for_an_organisation(applicant, version, requirements):
    version.for_organisations = True
    version.save(update_fields=["for_organisations"])
    membership = OrganisationMembershipFactory(user=applicant)
    response = api_for(applicant).post(
        URL, payload(version, requirements, on_behalf_of=str(membership.organisation_id)), format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert Dossier.objects.get(code=response.json()["code"]).organisation == membership.organisation


# --- my dossiers -------------------------------------------------------------------------------


def test_list_holds_mine_and_my_organisations_not_others(applicant, django_assert_max_num_queries):
    membership = OrganisationMembershipFactory(user=applicant)
    mine = DossierFactory.create_batch(3, applicant=applicant)
    org = DossierFactory(organisation=membership.organisation)  # filed by a colleague
    DossierFactory()  # someone else's
    DossierFactory(applicant=applicant, draft=True)
    api = api_for(applicant)
    with django_assert_max_num_queries(8):
        body = api.get(URL).json()
    assert body["count"] == 4
    assert {r["code"] for r in body["results"]} == {d.code for d in [*mine, org]}
    row = body["results"][0]
    assert {"code", "status", "status_code", "procedure", "agency", "submitted_at", "due_at", "url"} <= set(row)
    DossierFactory.create_batch(10, applicant=applicant)
    with django_assert_max_num_queries(8):
        assert api.get(URL).json()["count"] == 14


def test_list_filters_and_bad_filter(applicant):
    received = DossierFactory(applicant=applicant, received=True)
    DossierFactory(applicant=applicant)
    api = api_for(applicant)
    body = api.get(URL, {"status_code": 2}).json()
    assert [r["code"] for r in body["results"]] == [received.code]
    body = api.get(URL, {"procedure": received.procedure.code}).json()
    assert [r["code"] for r in body["results"]] == [received.code]
    for bad in ("x", "11", "0"):
        response = api.get(URL, {"status_code": bad})
        assert "status_code" in _field_errors(response)


# --- detail ------------------------------------------------------------------------------------


def test_detail_holds_everything_with_urls(applicant):
    from dossiers.services import event_append

    document = DossierDocumentFactory(dossier=DossierFactory(applicant=applicant, received=True))
    dossier = document.dossier
    event_append(dossier=dossier, action="submit", actor=applicant, from_state="draft", to_state="submitted")
    event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    slip = dossier.slips.create(kind="ack", file="slips/x/ack.pdf")
    body = api_for(applicant).get(f"{URL}{dossier.code}/").json()
    for key in ("code", "status", "status_code", "procedure", "agency", "submitted_at", "due_at"):
        assert key in body
    assert body["status_code"] == 2
    assert [e["action"] for e in body["timeline"]] == ["submit", "receive"]
    assert body["timeline"][1]["label"] == "Tiếp nhận hồ sơ"
    assert body["documents"][0]["url"] == f"http://testserver/files/documents/{document.stored_id}/"
    assert body["slips"][0]["url"] == f"http://testserver/files/slips/{slip.pk}/"
    assert body["results"] == []
    assert [a["name"] for a in body["available_actions"]] == ["withdraw"]


@pytest.mark.parametrize(
    ("trait", "actions"),
    [
        ("submitted", ["withdraw"]),
        ("supplement_requested", ["supplement", "withdraw"]),
        ("withdrawn", []),
        ("refused", []),
        ("returned", ["rate"]),
    ],
)
def test_available_actions_follow_the_state(applicant, trait, actions):
    dossier = DossierFactory(applicant=applicant, **({trait: True} if trait != "submitted" else {}))
    assert [a["name"] for a in api_for(applicant).get(f"{URL}{dossier.code}/").json()["available_actions"]] == actions


def test_rated_dossier_offers_no_rating(applicant):
    dossier = DossierFactory(applicant=applicant, returned=True, rating="satisfied")
    assert [a["name"] for a in api_for(applicant).get(f"{URL}{dossier.code}/").json()["available_actions"]] == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [("applicant", 200), ("other_citizen", 404), ("org_member", 200), ("removed_member", 404), ("draft", 404)],
)
def test_detail_permission_matrix(who, expected):
    owner = OrganisationMembershipFactory(role=OrganisationRole.OWNER)
    organisation = owner.organisation
    applicant = UserFactory()
    dossier = DossierFactory(applicant=applicant)
    caller = applicant
    if who == "other_citizen":
        caller = UserFactory()
    elif who in ("org_member", "removed_member"):
        colleague = OrganisationMembershipFactory(organisation=organisation).user
        dossier = DossierFactory(applicant=owner.user, organisation=organisation)
        caller = colleague
        api = api_for(caller)
        assert api.get(f"{URL}{dossier.code}/").status_code == 200
        assert api.get(URL).json()["count"] == 1
        if who == "removed_member":
            organisation_remove_member(actor=owner.user, organisation=organisation, member=colleague)
            assert api.get(URL).json()["count"] == 0
    elif who == "draft":
        dossier = DossierFactory(applicant=applicant, draft=True)
    code = dossier.code or "NONE"
    response = api_for(caller).get(f"{URL}{code}/")
    assert response.status_code == expected
    if expected == 404:
        assert response.json()["error"]["code"] == "not_found"
        assert "Không tìm thấy" in response.json()["error"]["message"]


# --- public tracking ---------------------------------------------------------------------------

TRACK = "/api/v1/track/"


@pytest.fixture
def tracked(db):
    from dossiers.services import event_append

    document = DossierDocumentFactory(
        dossier=DossierFactory(applicant_name="Lê Văn Riêng Tư", applicant_id_number="001099000001", received=True)
    )
    dossier = document.dossier
    event_append(dossier=dossier, action="submit", actor=dossier.applicant, from_state="draft", to_state="submitted")
    event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    return dossier


def test_tracking_without_pin_shows_nothing_personal(tracked):
    response = APIClient().get(f"{TRACK}{tracked.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 2 and body["status_label"] == "Được tiếp nhận"
    assert body["procedure"]["code"] == tracked.procedure.code
    assert [e["action"] for e in body["timeline"]] == ["submit", "receive"]
    assert body["personal"] is False
    assert body["applicant_name"] is None and body["documents"] is None
    raw = response.content.decode()
    for secret in ("Lê Văn Riêng Tư", "001099000001", tracked.applicant.email, "to_khai.pdf"):
        assert secret not in raw


def test_tracking_with_pin_shows_the_applicant_and_documents(tracked):
    body = APIClient().get(f"{TRACK}{tracked.code}/", {"pin": TEST_PIN}).json()
    assert body["personal"] is True
    assert body["applicant_name"] == "Lê Văn Riêng Tư"
    assert body["documents"][0]["name"] == "to_khai.pdf"


def test_tracking_as_the_signed_in_applicant_is_personal(tracked):
    body = api_for(tracked.applicant).get(f"{TRACK}{tracked.code}/").json()
    assert body["personal"] is True


def test_tracking_code_is_case_and_space_insensitive(tracked):
    assert APIClient().get(f"{TRACK}%20{tracked.code.lower()}%20/").status_code == 200


def test_unknown_code_and_wrong_pin_answer_identically(tracked):
    client = APIClient()
    wrong_pin = client.get(f"{TRACK}{tracked.code}/", {"pin": "00000000"})
    unknown = client.get(f"{TRACK}000.00.99.T99-990101-9999/", {"pin": TEST_PIN})
    unknown_no_pin = client.get(f"{TRACK}000.00.99.T99-990101-9999/")
    assert wrong_pin.status_code == unknown.status_code == unknown_no_pin.status_code == 404
    assert wrong_pin.content == unknown.content == unknown_no_pin.content
    assert "Không tìm thấy hồ sơ" in wrong_pin.json()["error"]["message"]


def test_tracking_of_a_draft_is_not_found(db):
    draft = DossierFactory(draft=True)
    assert APIClient().get(f"{TRACK}{draft.pk}/").status_code == 404


def test_tracking_is_rate_limited_per_address(tracked, settings):
    settings.TRACKING_RATE_LIMIT = 3
    settings.TRACKING_RATE_WINDOW = 3600  # no window boundary in the middle of the test
    client = APIClient()
    statuses = [client.get(f"{TRACK}{tracked.code}/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get(f"{TRACK}{tracked.code}/", {"pin": TEST_PIN})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "quá nhiều lần" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) >= 1
    # Another address is not affected.
    assert client.get(f"{TRACK}{tracked.code}/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_public_answer_is_cached_until_the_next_event(tracked, django_capture_on_commit_callbacks):
    """Anonymous look-ups by code alone share one cached answer; an event drops it at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dossiers.services import event_append

    client = APIClient()
    with CaptureQueriesContext(connection) as queries:
        first = client.get(f"{TRACK}{tracked.code}/")
    assert len(queries.captured_queries) == 1  # the dossier and its timeline in one statement
    assert [e["action"] for e in first.json()["timeline"]] == ["submit", "receive"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"{TRACK}%20{tracked.code.lower()}/")
    assert len(queries.captured_queries) == 0
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    with django_capture_on_commit_callbacks(execute=True):
        event_append(
            dossier=tracked, action="request_supplement", from_state="received", to_state="supplement_requested"
        )
    tracked.__class__.objects.filter(pk=tracked.pk).update(state="supplement_requested", status_code=5)
    after = client.get(f"{TRACK}{tracked.code}/").json()
    assert [e["action"] for e in after["timeline"]] == ["submit", "receive", "request_supplement"]
    assert after["status_code"] == 5


def test_personal_answers_are_never_cached_nor_served_from_the_cache(tracked):
    client = APIClient()
    assert client.get(f"{TRACK}{tracked.code}/", {"pin": TEST_PIN}).json()["applicant_name"] == "Lê Văn Riêng Tư"
    public = client.get(f"{TRACK}{tracked.code}/").json()  # now cached
    assert public["applicant_name"] is None and public["personal"] is False
    assert client.get(f"{TRACK}{tracked.code}/", {"pin": TEST_PIN}).json()["personal"] is True
    assert api_for(tracked.applicant).get(f"{TRACK}{tracked.code}/").json()["personal"] is True
    english = client.get(f"{TRACK}{tracked.code}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["status_label"] != public["status_label"]  # one cached answer per language


@pytest.mark.parametrize("personal", [False, True])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_tracking_answer_matches_the_declared_fields(tracked, personal, language):
    """Tracking builds its answer directly for speed; it must equal DRF's walk over the declared
    fields (the schema's), public and personal, in both languages."""
    from django.utils import translation
    from rest_framework import serializers

    from dossiers import selectors, tracking
    from dossiers.api.serializers import TrackingSerializer

    with translation.override(language):
        result = tracking.tracking_lookup(code=tracked.code, pin=TEST_PIN if personal else "")
        context = {
            "personal": result.personal,
            "timeline": result.timeline,
            "documents": list(selectors.dossier_documents(dossier=result.dossier)) if personal else [],
        }
        serializer = TrackingSerializer(context=context)
        built = serializer.to_representation(result.dossier)
        assert built == serializers.Serializer.to_representation(serializer, result.dossier)
        assert built["personal"] is personal and len(built["timeline"]) == 2


def test_schema_describes_the_dossier_endpoints(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/dossiers/", "/api/v1/dossiers/{code}/", "/api/v1/track/{code}/"} <= set(paths)


# --- filing in one pass ---------------------------------------------------------------------


def test_filing_costs_a_dozen_statements(api, version, requirements, django_assert_max_num_queries):
    """The token (with the user and its profile), then one transaction of inserts (the code's
    counter row, dossier, documents, event, the acknowledgement's outbox row: issue 23) and the
    audit record: no draft that is updated, no savepoint per file. The store costs two reads
    for all the files (issue 19): the look-up of the files it holds already, before the
    transaction, and the entries kept, after their one insert (which skips a file another
    request kept meanwhile)."""
    api.post(URL, payload(version, requirements), format="multipart")  # warms the catalogue cache
    # Files the store does not hold yet (the same ones would be reused: issue 19).
    fresh = {
        f"documents[{requirements[0].pk}]": pdf("to-khai.pdf", pages=3),
        f"documents[{requirements[1].pk}]": pdf("giay-chung-sinh.pdf", pages=4),
    }
    with django_assert_max_num_queries(14) as queries:
        response = api.post(URL, payload(version, requirements, **fresh), format="multipart")
    assert response.status_code == 201, response.json()
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(s.startswith("UPDATE") and "form_data" in s for s in sql)
    # one for the filing's transaction (a savepoint inside the test's own), none per file
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert sum(s.startswith('INSERT INTO "dossiers_storeddocument"') for s in sql) == 1  # both files, one statement
    assert sum(s.startswith('SELECT "dossiers_storeddocument"') for s in sql) == 2
    assert not any("procedures_" in s for s in sql), [s for s in sql if "procedures_" in s]
    # the applicant's profile came with the token's user, in the same statement
    assert not any(s.startswith('SELECT "portal_citizenprofile"') for s in sql)
    # the in-app notice is the acknowledgement task's, not the request's
    assert not any("portal_notification" in s for s in sql)


def test_the_submission_notice_is_recorded_once_by_the_acknowledgement_task(api, version, requirements, applicant):
    from dossiers import tasks
    from portal.models import Notification

    response = api.post(URL, payload(version, requirements), format="multipart")
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert not Notification.objects.filter(user=applicant).exists()  # the task has not run (no commit here)
    tasks.render_acknowledgement(dossier.pk)
    tasks.render_acknowledgement(dossier.pk)  # a retry
    [notice] = Notification.objects.filter(user=applicant, dossier_code=dossier.code)
    assert notice.event == "message" and dossier.code in notice.subject
    assert not notice.send_email  # its e-mail is the acknowledgement with the PDF


def test_every_problem_of_a_filing_is_reported_at_once_and_nothing_is_kept(
    api, version, requirements, settings, tmp_path
):
    from dossiers.models import StoredDocument

    # Files are looked for in a storage of this test's own: the suite's shared folder is written
    # by the other test worker at the same time (a folder it creates would count as kept here).
    root = tmp_path / "private"
    default = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": {"location": str(root)}}}
    r0, r1 = requirements
    body = payload(
        version,
        requirements,
        data=json.dumps({"note": "x"}),
        **{f"documents[{r0.pk}]": SimpleUploadedFile("a.pdf", make_png()), f"documents[{r1.pk}]": None},
    )
    fields = _field_errors(api.post(URL, body, format="multipart"))
    assert {"data.full_name", f"documents[{r0.pk}]", f"documents[{r1.pk}]"} <= set(fields)
    assert "Thiếu giấy tờ bắt buộc" in " ".join(fields[f"documents[{r1.pk}]"])
    # the refused file's own reason, not "missing"
    assert "Thiếu giấy tờ bắt buộc" not in " ".join(fields[f"documents[{r0.pk}]"])
    assert not Dossier.objects.exists() and not StoredDocument.objects.exists()
    assert [path for path in root.rglob("*") if path.is_file()] == []


def test_a_filing_that_fails_in_its_transaction_leaves_no_file(applicant, version, requirements, monkeypatch):
    from django.core.files.storage import default_storage

    from dossiers import services
    from dossiers.core import machine
    from dossiers.models import StoredDocument
    from dossiers.services import documents

    written = []
    real_build = documents.stored_document_build

    def build(**kwargs):
        document = real_build(**kwargs)
        written.append(document.file.name)
        return document

    def broken_event(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "stored_document_build", build)
    monkeypatch.setattr(machine, "event_append", broken_event)
    with pytest.raises(RuntimeError):
        services.dossier_file(
            user=applicant,
            procedure_code=version.procedure.code,
            data={"full_name": "Trần Thị Nộp"},
            files={r.pk: (f"{r.pk}.pdf", make_pdf(pages)) for pages, r in enumerate(requirements, 1)},
        )
    assert len(written) == 2
    assert not any(default_storage.exists(name) for name in written)
    assert not Dossier.objects.exists() and not StoredDocument.objects.exists()


def test_a_fee_added_to_the_version_in_force_counts_for_the_next_filing(api, version, requirements):
    """The cached version in force is dropped when its fees or documents change."""
    from procedures.constants import ServiceLevel
    from tests.procedures.factories import FeeFactory

    version.service_level = ServiceLevel.FULL  # toàn trình: fees at submission are paid online first
    version.save(update_fields=["service_level"])
    first = api.post(URL, payload(version, requirements), format="multipart")
    assert first.json()["status"] == DossierState.SUBMITTED  # and the version is now cached
    FeeFactory(version=version, amount=50_000)
    second = api.post(URL, payload(version, requirements), format="multipart")
    assert second.status_code == 201, second.json()
    assert second.json()["status"] == DossierState.PAYMENT_REQUESTED
