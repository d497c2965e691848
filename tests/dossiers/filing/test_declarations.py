"""The e-form is the declaration (issue 19): a component marked ``from_form`` is never uploaded;
the portal renders its PDF from the answers on submission and attaches it, once."""

import subprocess

import pytest
from django.core.exceptions import ValidationError

from dossiers import services
from dossiers.constants import DocumentSource
from portal.services.national_sync import dossier_sync_message
from procedures import selectors as procedure_selectors
from procedures.services.transfer import catalogue_export
from procedures.services.versions import procedure_version_check
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import CitizenProfileFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db

KHAI_SINH = "1.001193"
ANSWERS = {
    "requester_name": "Nguyễn Văn Cha",
    "requester_id": "001090000001",
    "requester_phone": "0912345678",
    "requester_address": "Số 1 đường Trung Tâm, Phường Trung Tâm",
    "child_name": "Nguyễn Văn Bé",
    "child_sex": "male",
    "child_birth_date": "2026-11-01",
    "birth_place": "Bệnh viện Đa khoa Tỉnh Demo",
    "ethnicity": "Kinh",
    "mother_name": "Trần Thị Mẹ",
    "relationship": "father",
}


def _text(stored, tmp_path) -> str:
    path = tmp_path / f"stored-{stored.pk}.pdf"
    path.write_bytes(stored.file.read())
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


@pytest.fixture
def filed_birth(demo_catalogue, django_capture_on_commit_callbacks):  # noqa: F811 - fixture
    profile = CitizenProfileFactory(full_name="Nguyễn Văn Cha", citizen_id="001090000001")
    user = profile.user
    draft = services.dossier_draft_create(user=user, procedure_code=KHAI_SINH)
    services.dossier_draft_update(user=user, dossier=draft, data=ANSWERS)
    version = draft.procedure_version
    declaration = version.documents.get(from_form=True)
    birth_paper = version.documents.get(name__startswith="Giấy chứng sinh")
    services.dossier_document_upload(
        user=user, dossier=draft, requirement_id=birth_paper.pk, name="giay-chung-sinh.pdf", content=make_pdf()
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier, pin = services.dossier_submit(user=user, dossier_id=draft.pk, declaration=True)
    assert pin
    return dossier, declaration


def test_a_birth_registration_is_filed_without_uploading_its_declaration(filed_birth, tmp_path):
    dossier, declaration = filed_birth
    document = dossier.documents.get(requirement=declaration, superseded_at__isnull=True)
    assert document.stored.source == DocumentSource.FORM
    assert document.stored.mime_type == "application/pdf" and document.stored.name == f"to-khai-{dossier.code}.pdf"
    text = _text(document.stored, tmp_path)
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in text
    assert "Nguyễn Văn Bé" in text and "01/11/2026" in text and "Trần Thị Mẹ" in text
    assert "Bệnh viện Đa khoa Tỉnh Demo" in text and "Nam" in text  # the choice by its label
    assert dossier.code in text
    # Born digital, it counts as digitised in the national sync message.
    assert document.digitised_at is not None
    sent = next(d for d in dossier_sync_message(dossier)["TaiLieuNop"] if d["TenThanhPhan"] == declaration.name)
    assert sent["DuocSoHoa"] == 1


def test_the_declaration_is_made_once(filed_birth):
    dossier, declaration = filed_birth
    assert services.dossier_declarations_render(dossier_id=dossier.pk) == []
    assert dossier.documents.filter(requirement=declaration).count() == 1


def test_the_wizard_does_not_ask_for_the_declaration(client, demo_catalogue):  # noqa: F811 - fixture
    profile = CitizenProfileFactory()
    draft = services.dossier_draft_create(user=profile.user, procedure_code=KHAI_SINH)
    services.dossier_draft_update(user=profile.user, dossier=draft, data=ANSWERS)
    declaration = draft.procedure_version.documents.get(from_form=True)
    client.force_login(profile.user)
    page = client.get(f"/dossiers/drafts/{draft.pk}/documents/").content.decode()
    assert f'id="from-form-{declaration.pk}"' in page and "Bạn không cần tải lên" in page
    assert f'name="documents[{declaration.pk}]"' not in page and f'id="slot-{declaration.pk}"' not in page
    birth_paper = draft.procedure_version.documents.get(name__startswith="Giấy chứng sinh")
    services.dossier_document_upload(
        user=profile.user, dossier=draft, requirement_id=birth_paper.pk, name="a.pdf", content=make_pdf()
    )
    response = client.post(f"/dossiers/drafts/{draft.pk}/documents/", {"action": "next"})
    assert response.status_code == 302 and response["Location"].endswith(f"/dossiers/drafts/{draft.pk}/review/")


def test_a_procedure_without_its_own_layout_gets_the_generic_declaration(tmp_path, django_capture_on_commit_callbacks):
    version = OnlineVersionFactory()
    DocumentRequirementFactory(version=version, name="Tờ khai chung", from_form=True, required=True)
    profile = CitizenProfileFactory(full_name="Lê Thị Hoa")
    draft = services.dossier_draft_create(user=profile.user, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=profile.user, dossier=draft, data={"full_name": "Lê Thị Hoa"})
    other = version.documents.exclude(from_form=True).get()
    services.dossier_document_upload(
        user=profile.user, dossier=draft, requirement_id=other.pk, name="a.pdf", content=make_pdf()
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier, _pin = services.dossier_submit(user=profile.user, dossier_id=draft.pk, declaration=True)
    stored = dossier.documents.get(requirement__from_form=True).stored
    text = _text(stored, tmp_path)
    label = version.form_schema["fields"][0]["label"]
    assert "TỜ KHAI CHUNG" in text and f"{label}: Lê Thị Hoa" in text


def test_the_catalogue_carries_the_mark_and_refuses_it_without_a_form(demo_catalogue):  # noqa: F811
    exported = catalogue_export()
    birth = next(p for p in exported["procedures"] if p["code"] == KHAI_SINH)
    assert [d["from_form"] for d in birth["documents"]][:2] == [True, False]
    version = procedure_selectors.procedure_in_force_by_code(KHAI_SINH)
    version.form_schema = {"fields": []}
    with pytest.raises(ValidationError) as caught:
        procedure_version_check(version=version)
    assert "chưa có biểu mẫu điện tử" in " ".join(caught.value.message_dict["form_schema"])
