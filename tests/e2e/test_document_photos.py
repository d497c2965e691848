"""Camera-first documents in the browser (issue 25), on a phone-sized touch screen: photos taken
one at a time add up in the slot's camera input (static/js/portal.js), a file over the slot's
limit is announced before anything is sent, and the photos become one PDF of a page each."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.dossiers.factories import DossierFactory
from tests.factories import CitizenProfileFactory
from tests.procedures.factories import DocumentRequirementFactory

PHONE = {"width": 360, "height": 800}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


def _photo(name: str, colour: str, size=(900, 1200)) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_photos_taken_one_by_one_become_one_pdf_and_an_oversized_file_is_announced(page, login):
    profile = CitizenProfileFactory()
    draft = DossierFactory(draft=True, applicant=profile.user)
    paper = DocumentRequirementFactory(
        version=draft.procedure_version,
        name="Giấy chứng sinh",
        accepted_types=["application/pdf", "image/jpeg", "image/png"],
        max_size=200_000,
    )
    login(profile.user)
    page.goto(f"/dossiers/drafts/{draft.pk}/documents/")
    slot = page.locator(f"#slot-{paper.pk}")
    camera = slot.locator(f'input[name="photos[{paper.pk}]"]')
    expect(camera).to_have_attribute("capture", "environment")

    # A file alone over the slot's limit (200 KB): said at once, in the slot's live region.
    warning = slot.locator(f"#size-warning-{paper.pk}")
    big = {"name": "ban-quet.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * 300_000}
    slot.locator(f'input[name="documents[{paper.pk}]"]').set_input_files(big)
    expect(warning).to_contain_text("Tệp “ban-quet.pdf” có dung lượng")
    expect(warning).to_contain_text("vượt quá giới hạn 195,3")
    slot.locator(f'input[name="documents[{paper.pk}]"]').set_input_files([])
    expect(warning).to_be_empty()

    # The camera gives one picture at a time: each choice adds to the ones before, in order.
    camera.set_input_files([_photo("trang-1.jpg", "red"), _photo("trang-2.jpg", "green")])
    camera.set_input_files(_photo("trang-3.jpg", "blue", (1200, 900)))
    status = slot.locator(f"#photos-status-{paper.pk}")
    expect(status).to_have_text("Đã chọn 3 ảnh: trang-1.jpg, trang-2.jpg, trang-3.jpg.")
    assert camera.evaluate("input => input.files.length") == 3
    # Choosing again from nothing: the clear button empties the input.
    slot.get_by_role("button", name="Bỏ các ảnh đã chọn").click()
    expect(status).to_be_empty()
    camera.set_input_files([_photo("trang-1.jpg", "red"), _photo("trang-2.jpg", "green")])
    camera.set_input_files(_photo("trang-3.jpg", "blue", (1200, 900)))
    expect(status).to_contain_text("Đã chọn 3 ảnh")

    with page.expect_navigation():
        page.locator(".sticky-actions button[value=save]").click()
    expect(page.locator(f"#slot-{paper.pk} .current-document")).to_contain_text("giay-chung-sinh-anh-chup.pdf")
    stored = draft.documents.get(requirement=paper).stored
    reader = PdfReader(io.BytesIO(stored.file.read()))
    assert len(reader.pages) == 3
    last = reader.pages[2].mediabox
    assert float(last.width) > float(last.height)  # the third photo, the landscape one, last
