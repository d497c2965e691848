"""Unit tests of the filing services: drafts, documents checked by content, idempotent submission."""

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from dossiers import services
from dossiers.constants import DossierState
from dossiers.core.pins import pin_check
from dossiers.models import Dossier, DossierEvent, StoredDocument
from procedures.constants import ServiceLevel
from tests.dossiers.factories import OnlineVersionFactory, StoredDocumentFactory, make_pdf, make_png
from tests.factories import (
    CitizenProfileFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    UserFactory,
)
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db


def js_pdf() -> bytes:
    """A PDF whose catalogue runs JavaScript when opened (an /OpenAction of type /JavaScript)."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _messages(error: ValidationError) -> str:
    return " ".join(m for msgs in error.message_dict.values() for m in msgs)


@pytest.fixture
def version():
    return OnlineVersionFactory()


@pytest.fixture
def requirement(version):
    return version.documents.get()


@pytest.fixture
def draft(version, citizen):
    return services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)


def _upload(draft, requirement, content, name="giay_to.pdf", user=None):
    return services.dossier_document_upload(
        user=user or draft.applicant, dossier=draft, requirement_id=requirement.pk, name=name, content=content
    )


# --- drafts -----------------------------------------------------------------------------------


def test_draft_is_prefilled_from_the_profile(version):
    profile = CitizenProfileFactory(full_name="Trần Thị Mai")
    draft = services.dossier_draft_create(user=profile.user, procedure_code=version.procedure.code)
    assert draft.state == DossierState.DRAFT
    assert draft.form_data == {"full_name": "Trần Thị Mai"}
    assert draft.code is None


@pytest.mark.parametrize("code", ["9.999999", "", "x" * 40])
def test_draft_of_unknown_procedure_is_refused(citizen, code):
    with pytest.raises(ValidationError) as info:
        services.dossier_draft_create(user=citizen, procedure_code=code)
    assert "procedure" in info.value.message_dict


def test_draft_of_procedure_not_online_is_refused(citizen):
    version = OnlineVersionFactory(channel_online=False)
    with pytest.raises(ValidationError) as info:
        services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    assert "trực tuyến" in _messages(info.value)


def test_draft_of_information_only_procedure_is_refused(citizen):
    version = OnlineVersionFactory(service_level=ServiceLevel.INFORMATION)
    with pytest.raises(ValidationError):
        services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)


def test_draft_for_an_organisation_the_user_is_not_member_of_is_refused(citizen):
    version = OnlineVersionFactory(for_organisations=True)
    other = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code, organisation_id=other.pk)
    assert not Dossier.objects.exists()


def test_draft_for_an_organisation_only_procedure_needs_an_organisation(citizen):
    version = OnlineVersionFactory(for_citizens=False, for_organisations=True)
    with pytest.raises(ValidationError) as info:
        services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    assert "on_behalf_of" in info.value.message_dict
    membership = OrganisationMembershipFactory(user=citizen)
    draft = services.dossier_draft_create(
        user=citizen, procedure_code=version.procedure.code, organisation_id=membership.organisation_id
    )
    assert draft.organisation == membership.organisation


def test_draft_for_a_citizen_only_procedure_refuses_an_organisation(version, citizen):
    membership = OrganisationMembershipFactory(user=citizen)
    with pytest.raises(ValidationError) as info:
        services.dossier_draft_create(
            user=citizen, procedure_code=version.procedure.code, organisation_id=membership.organisation_id
        )
    assert "on_behalf_of" in info.value.message_dict


def test_draft_at_an_agency_not_handling_the_procedure_is_refused(version, citizen):
    with pytest.raises(ValidationError) as info:
        services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code, agency_code="000.99.99.X")
    assert "agency" in info.value.message_dict


def test_draft_update_keeps_known_fields_only(draft):
    services.dossier_draft_update(user=draft.applicant, dossier=draft, data={"full_name": "A", "injected": "x"})
    draft.refresh_from_db()
    assert draft.form_data == {"full_name": "A"}


@pytest.mark.parametrize("data", [["a"], "text", None, 42])
def test_draft_update_refuses_non_objects(draft, data):
    with pytest.raises(ValidationError):
        services.dossier_draft_update(user=draft.applicant, dossier=draft, data=data)


def test_draft_update_by_someone_else_is_refused(draft):
    with pytest.raises(PermissionDenied):
        services.dossier_draft_update(user=UserFactory(), dossier=draft, data={"full_name": "X"})


# --- documents ----------------------------------------------------------------------------------


def test_pdf_upload_is_stored_and_attached(draft, requirement):
    doc = _upload(draft, requirement, make_pdf())
    assert doc.requirement == requirement
    assert doc.stored.mime_type == "application/pdf"
    assert doc.stored.owner == draft.applicant
    assert services.missing_requirements(draft) == []


def test_type_is_read_from_the_content_not_the_name(draft, requirement):
    with pytest.raises(ValidationError) as info:
        _upload(draft, requirement, make_png(), name="to_khai.pdf")
    assert f"documents[{requirement.pk}]" in info.value.message_dict
    assert "image/png" in _messages(info.value)
    assert not draft.documents.exists()


def test_image_is_accepted_where_the_component_allows(version, draft):
    photo = DocumentRequirementFactory(version=version, accepted_types=["image/png", "image/jpeg"], required=False)
    draft = Dossier.objects.get(pk=draft.pk)  # the draft's version has its components cached
    doc = _upload(draft, photo, make_png(), name="anh.jpg")
    assert doc.stored.mime_type == "image/png"
    assert doc.stored.name == "anh.png"  # the extension follows the content


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (js_pdf(), "JavaScript"),
        (make_pdf(password="bí mật"), "mã hoá"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\nrubbish without xref or trailer", "hỏng"),
        (b"", "rỗng"),
    ],
    ids=["javascript", "encrypted", "broken", "empty"],
)
def test_unsafe_or_broken_files_are_refused_with_a_reason(draft, requirement, content, reason):
    with pytest.raises(ValidationError) as info:
        _upload(draft, requirement, content)
    assert reason in _messages(info.value)
    assert not draft.documents.exists()


def test_component_size_limit(version, draft):
    small = DocumentRequirementFactory(version=version, max_size=1000, required=False)
    draft = Dossier.objects.get(pk=draft.pk)
    with pytest.raises(ValidationError) as info:
        _upload(draft, small, make_pdf(pages=20))
    assert "vượt quá giới hạn" in _messages(info.value)


def test_dossier_total_size_limit(draft, requirement, version, settings):
    second = DocumentRequirementFactory(version=version, required=False)
    draft = Dossier.objects.get(pk=draft.pk)
    first = _upload(draft, requirement, make_pdf())
    settings.DOSSIER_MAX_TOTAL_SIZE = first.stored.size + 10
    with pytest.raises(ValidationError) as info:
        _upload(draft, second, make_pdf(pages=2))
    assert "Tổng dung lượng" in _messages(info.value)
    # Replacing the same component does not count the file it replaces.
    _upload(draft, requirement, make_pdf())


def test_file_name_is_sanitised(draft, requirement):
    doc = _upload(draft, requirement, make_pdf(), name="../../etc/Tờ khai (bản 1)<script>.PDF")
    assert doc.stored.name == "Tờ_khai_bản_1_script.pdf"
    assert "/" not in doc.stored.name and ".." not in doc.stored.name


def test_requirement_of_another_procedure_is_refused(draft):
    foreign = DocumentRequirementFactory()
    with pytest.raises(ValidationError):
        services.dossier_document_upload(
            user=draft.applicant, dossier=draft, requirement_id=foreign.pk, name="a.pdf", content=make_pdf()
        )
    with pytest.raises(ValidationError):
        services.dossier_document_upload(
            user=draft.applicant, dossier=draft, requirement_id="not-a-number", name="a.pdf", content=make_pdf()
        )


def test_upload_by_someone_else_is_refused(draft, requirement):
    with pytest.raises(PermissionDenied):
        _upload(draft, requirement, make_pdf(), user=UserFactory())


def test_a_new_upload_supersedes_the_previous_one(draft, requirement):
    first = _upload(draft, requirement, make_pdf())
    second = _upload(draft, requirement, make_pdf(pages=2))
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert list(draft.documents.filter(superseded_at__isnull=True)) == [second]


def test_document_from_the_store(draft, requirement):
    stored = StoredDocumentFactory(owner=draft.applicant)
    doc = services.dossier_document_from_store(
        user=draft.applicant, dossier=draft, requirement_id=requirement.pk, stored_id=stored.pk
    )
    assert doc.stored == stored


def test_document_from_someone_elses_store_is_refused(draft, requirement):
    stored = StoredDocumentFactory()
    with pytest.raises(ValidationError) as info:
        services.dossier_document_from_store(
            user=draft.applicant, dossier=draft, requirement_id=requirement.pk, stored_id=stored.pk
        )
    assert "kho" in _messages(info.value)


def test_document_from_the_store_of_the_wrong_type_is_refused(draft, requirement):
    stored = StoredDocumentFactory(owner=draft.applicant, mime_type="image/png")
    with pytest.raises(ValidationError):
        services.dossier_document_from_store(
            user=draft.applicant, dossier=draft, requirement_id=requirement.pk, stored_id=stored.pk
        )


# --- submission ------------------------------------------------------------------------------


def _ready(draft, requirement):
    services.dossier_draft_update(user=draft.applicant, dossier=draft, data={"full_name": "Nguyễn Văn An"})
    _upload(draft, requirement, make_pdf())
    return draft


def test_submit_gives_a_code_a_pin_and_one_event(draft, requirement):
    _ready(draft, requirement)
    dossier, pin = services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
    assert dossier.state == DossierState.SUBMITTED and dossier.status_code == 1
    unit = dossier.receiving_agency.code
    assert re.fullmatch(rf"{re.escape(unit)}-\d{{6}}-0001", dossier.code)
    assert re.fullmatch(r"\d{8}", pin)
    assert pin_check(pin, dossier.tracking_pin_hash)
    assert pin not in dossier.tracking_pin_hash
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) == ["submit"]
    assert dossier.applicant_email == draft.applicant.email


def test_submit_is_idempotent(draft, requirement):
    _ready(draft, requirement)
    first, pin = services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
    again, no_pin = services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
    assert again.pk == first.pk and again.code == first.code
    assert pin and no_pin is None
    assert Dossier.objects.count() == 1
    assert DossierEvent.objects.filter(dossier=first).count() == 1


def test_submit_without_declaration_is_refused(draft, requirement):
    _ready(draft, requirement)
    with pytest.raises(ValidationError) as info:
        services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=False)
    assert "declaration" in info.value.message_dict
    draft.refresh_from_db()
    assert draft.state == DossierState.DRAFT and draft.code is None


def test_submit_lists_every_missing_required_document_and_field(version, draft, requirement):
    second = DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True)
    DocumentRequirementFactory(version=version, name="Không bắt buộc", required=False)
    draft = Dossier.objects.get(pk=draft.pk)
    with pytest.raises(ValidationError) as info:
        services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
    errors = info.value.message_dict
    assert set(errors) >= {f"documents[{requirement.pk}]", f"documents[{second.pk}]", "data.full_name"}
    assert "Giấy chứng sinh" in " ".join(errors[f"documents[{second.pk}]"])
    assert not DossierEvent.objects.exists()


def test_submit_by_someone_else_is_refused(draft, requirement):
    _ready(draft, requirement)
    with pytest.raises(PermissionDenied):
        services.dossier_submit(user=UserFactory(), dossier_id=draft.pk, declaration=True)


def test_submit_after_leaving_the_organisation_is_refused(citizen):
    version = OnlineVersionFactory(for_organisations=True)
    membership = OrganisationMembershipFactory(user=citizen)
    draft = services.dossier_draft_create(
        user=citizen, procedure_code=version.procedure.code, organisation_id=membership.organisation_id
    )
    _ready(draft, version.documents.get())
    membership.delete()
    with pytest.raises(PermissionDenied):
        services.dossier_submit(user=citizen, dossier_id=draft.pk, declaration=True)


def test_submit_unknown_dossier(citizen):
    with pytest.raises(ValidationError):
        services.dossier_submit(user=citizen, dossier_id=987654, declaration=True)


def test_documents_cannot_change_after_submission(draft, requirement):
    _ready(draft, requirement)
    services.dossier_submit(user=draft.applicant, dossier_id=draft.pk, declaration=True)
    draft.refresh_from_db()
    with pytest.raises(ValidationError):
        _upload(draft, requirement, make_pdf())
    with pytest.raises(ValidationError):
        services.dossier_draft_update(user=draft.applicant, dossier=draft, data={"full_name": "B"})


def test_dossier_file_with_an_idempotency_key_files_once(version, citizen, requirement):
    kwargs = {
        "user": citizen,
        "procedure_code": version.procedure.code,
        "data": {"full_name": "Lê Văn Bình"},
        "files": {requirement.pk: ("to_khai.pdf", make_pdf())},
        "idempotency_key": "abc-123",
    }
    first, pin, created = services.dossier_file(**kwargs)
    again, no_pin, created_again = services.dossier_file(**kwargs)
    assert created and not created_again
    assert again.pk == first.pk and pin and no_pin is None
    assert Dossier.objects.count() == 1


def test_the_same_file_uploaded_twice_is_one_copy_in_the_store(version, requirement, draft):
    """The store keeps one copy of the same file for the same owner (issue 19)."""
    content = make_pdf()
    first = _upload(draft, requirement, content)
    other = services.dossier_draft_create(user=draft.applicant, procedure_code=version.procedure.code)
    second = _upload(other, requirement, content)
    assert first.stored_id == second.stored_id
    assert StoredDocument.objects.filter(owner=draft.applicant, sha256=first.stored.sha256).count() == 1
    # Another person's identical file is theirs, not a shared entry.
    stranger = services.dossier_draft_create(user=UserFactory(), procedure_code=version.procedure.code)
    assert _upload(stranger, requirement, content).stored_id != first.stored_id
