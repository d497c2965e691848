"""Camera-first documents (issue 25): photos of one paper, taken on the documents step, become
one PDF of a page each, in the order sent, upright and compressed; every photo is checked as any
upload is, and the merged PDF as any file of the component."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw
from pypdf import PdfReader

from dossiers import services
from dossiers.models import StoredDocument
from dossiers.services.documents import photos_merge_pdf
from tests.dossiers.factories import DossierFactory
from tests.factories import CitizenProfileFactory
from tests.procedures.factories import DocumentRequirementFactory
from tests.uploads.samples import png_claiming

pytestmark = pytest.mark.django_db

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 30), (30, 30, 220)
EXIF_ORIENTATION = 0x0112


def _photo(width: int, height: int, colour=RED, *, orientation: int | None = None, quality: int = 95) -> bytes:
    """A camera-like JPEG: noisy (so that it weighs what a phone's photo weighs), of one colour,
    with a black mark in the top-left corner of its pixels as stored."""
    noise = Image.effect_noise((width, height), 80).convert("RGB")
    image = Image.blend(noise, Image.new("RGB", (width, height), colour), 0.6)
    ImageDraw.Draw(image).rectangle((0, 0, width // 8, height // 8), fill="black")
    extra = {}
    if orientation:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        extra["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **extra)
    return buffer.getvalue()


def _upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _dominant(image: Image.Image) -> int:
    """The index (0 red, 1 green, 2 blue) of the strongest channel in the middle of the image."""
    width, height = image.size
    middle = image.convert("RGB").crop((width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    means = [sum(band.get_flattened_data()) / (middle.width * middle.height) for band in middle.split()]
    return means.index(max(means))


def _dark(image: Image.Image, x: int, y: int) -> bool:
    return sum(image.convert("RGB").getpixel((x, y))) < 120


@pytest.fixture
def profile():
    return CitizenProfileFactory()


@pytest.fixture
def draft(profile):
    return DossierFactory(draft=True, applicant=profile.user)


@pytest.fixture
def paper(draft):
    """The birth paper: a PDF or an image, 10 MB at most (the component's defaults)."""
    return DocumentRequirementFactory(
        version=draft.procedure_version,
        name="Giấy chứng sinh",
        required=True,
        accepted_types=["application/pdf", "image/jpeg", "image/png"],
    )


@pytest.fixture
def citizen_client(client, profile):
    client.force_login(profile.user)
    return client


def _url(draft) -> str:
    return reverse("dossiers:draft_documents", args=[draft.pk])


def _post_photos(client, draft, requirement, photos, **extra):
    return client.post(_url(draft), {f"photos[{requirement.pk}]": photos, "action": "save", **extra})


# --- the page -----------------------------------------------------------------------------------


def test_each_slot_has_a_camera_input_and_explains_the_limit(citizen_client, draft, paper):
    docx_only = DocumentRequirementFactory(
        version=draft.procedure_version,
        name="Bản thiết kế",
        accepted_types=["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    )
    response = citizen_client.get(_url(draft))
    assert response.status_code == 200
    assert "camera=(self)" in response["Permissions-Policy"]
    html = response.content.decode()
    camera = re.search(rf'<input type="file"[^>]*name="photos\[{paper.pk}\]"[^>]*>', html, re.S)[0]
    assert 'accept="image/*"' in camera and 'capture="environment"' in camera and " multiple" in camera
    assert f'data-max-size="{15 * 1024 * 1024}"' in camera
    assert "Chụp ảnh giấy tờ (có thể chụp nhiều trang)" in html
    # The limit is said before anything is sent: of the merged PDF, and of each photo.
    assert "Ảnh chụp sẽ được ghép theo thứ tự chụp thành một tệp PDF, tối đa 10,0\xa0MB" in html
    assert "tối đa 20 ảnh, mỗi ảnh tối đa 15,0\xa0MB" in html  # filesizeformat: no break
    upload = re.search(rf'<input type="file"[^>]*name="documents\[{paper.pk}\]"[^>]*>', html, re.S)[0]
    assert f'data-max-size="{paper.max_size}"' in upload and f'data-size-warning="size-warning-{paper.pk}"' in upload
    assert re.search(rf'id="size-warning-{paper.pk}"[^>]*aria-live="polite"', html)
    # A component that takes neither PDF nor images has no camera.
    assert f'name="documents[{docx_only.pk}]"' in html and f'name="photos[{docx_only.pk}]"' not in html
    # The buttons at the bottom stay in reach of the thumb (styled by the lead).
    assert re.search(r'<div class="[^"]*\bsticky-actions\b[^"]*">\s*<a class="btn btn-outline-secondary"', html)


def test_a_component_without_pdf_takes_one_photo_as_it_is(citizen_client, draft):
    photo_only = DocumentRequirementFactory(
        version=draft.procedure_version, name="Ảnh thẻ", accepted_types=["image/jpeg"], max_size=2 * 1024 * 1024
    )
    html = citizen_client.get(_url(draft)).content.decode()
    camera = re.search(rf'<input type="file"[^>]*name="photos\[{photo_only.pk}\]"[^>]*>', html, re.S)[0]
    assert " multiple" not in camera and f'data-max-size="{2 * 1024 * 1024}"' in camera
    assert "Giấy tờ này nhận một ảnh chụp, tối đa 2,0\xa0MB." in html
    two = [_upload("a.jpg", _photo(300, 400)), _upload("b.jpg", _photo(300, 400, GREEN))]
    response = _post_photos(citizen_client, draft, photo_only, two)
    assert response.status_code == 400
    assert "không ghép được nhiều ảnh" in response.content.decode()
    assert not StoredDocument.objects.exists()
    one = _photo(300, 400)
    response = _post_photos(citizen_client, draft, photo_only, [_upload("the.jpg", one)])
    assert response.status_code == 302
    stored = draft.documents.get().stored
    assert stored.mime_type == "image/jpeg" and stored.file.read() == one


# --- merged into one PDF ------------------------------------------------------------------------


def test_three_photos_become_one_pdf_of_three_pages_in_order_upright_and_smaller(citizen_client, draft, paper):
    photos = [
        _photo(3200, 2400, RED),  # landscape
        _photo(3200, 2400, GREEN, orientation=6),  # taken holding the phone upright: stored sideways
        _photo(2400, 2400, BLUE),
    ]
    response = _post_photos(
        citizen_client, draft, paper, [_upload(f"trang-{n}.jpg", content) for n, content in enumerate(photos, 1)]
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    document = draft.documents.get()
    stored = document.stored
    assert document.requirement == paper
    assert stored.name == "giay-chung-sinh-anh-chup.pdf" and stored.mime_type == "application/pdf"
    content = stored.file.read()
    assert len(content) == stored.size < sum(map(len, photos))
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 3
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]
    first, second, third = sizes
    assert first[0] > first[1]  # landscape stays landscape
    assert second[0] < second[1]  # turned upright by its EXIF orientation: portrait
    assert third[0] == pytest.approx(third[1])
    images = [page.images[0].image for page in reader.pages]
    # Order kept: red, green, blue; each scaled down to 2000 pixels on its long side.
    assert [_dominant(image) for image in images] == [0, 1, 2]
    assert [max(image.size) for image in images] == [2000, 2000, 2000]
    assert images[1].size == (1500, 2000)
    # Orientation 6 is a quarter turn clockwise: the mark of the stored top-left is now top-right.
    rotated = images[1]
    assert _dark(rotated, rotated.width - 40, 40) and not _dark(rotated, 40, 40)
    assert _dark(images[0], 40, 40)


def test_merging_flattens_transparency_and_keeps_small_photos_as_they_are():
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(buffer, "PNG")
    pdf = photos_merge_pdf([("trong-suot.png", buffer.getvalue()), ("nho.jpg", _photo(120, 160, BLUE))])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    transparent, small = (page.images[0].image for page in reader.pages)
    assert transparent.convert("RGB").getpixel((150, 100)) == pytest.approx((255, 255, 255), abs=3)
    assert small.size == (120, 160)  # never enlarged


# --- refusals: nothing is kept ------------------------------------------------------------------


def test_a_non_image_among_the_photos_is_refused_by_content_and_nothing_is_kept(citizen_client, draft, paper):
    photos = [
        _upload("trang-1.jpg", _photo(400, 300)),
        _upload("x.jpg", b"Khong phai anh chi la van ban.\n" * 50),
        _upload("trang-3.jpg", _photo(400, 300, BLUE)),
    ]
    response = _post_photos(citizen_client, draft, paper, photos)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ảnh thứ 2 (“x.jpg”) không phải ảnh JPEG hay PNG (nội dung tệp là text/plain)." in html
    assert "Chưa ảnh nào của giấy tờ này được lưu" in html
    # The error summary links to the camera input of the slot.
    camera_id = re.search(rf'name="photos\[{paper.pk}\]" id="([^"]+)"', html)[1]
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert f'<a href="#{camera_id}">{paper.name}: Ảnh thứ 2' in summary
    assert not draft.documents.exists() and not StoredDocument.objects.exists()


def test_a_photo_past_the_pixel_limit_is_refused_naming_it(citizen_client, draft, paper):
    photos = [_upload("trang-1.jpg", _photo(400, 300)), _upload("bom.png", png_claiming(10_000, 10_000), "image/png")]
    response = _post_photos(citizen_client, draft, paper, photos)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ảnh thứ 2 (“bom.png”): Ảnh 10.000 × 10.000 điểm ảnh" in html
    assert not StoredDocument.objects.exists()


def test_too_many_photos_are_refused(citizen_client, draft, paper, settings):
    settings.DOCUMENT_PHOTOS_MAX = 2
    photos = [_upload(f"trang-{n}.jpg", _photo(200, 150)) for n in range(3)]
    response = _post_photos(citizen_client, draft, paper, photos)
    assert response.status_code == 400
    assert "Mỗi giấy tờ nhận tối đa 2 ảnh chụp; bạn đã gửi 3 ảnh." in response.content.decode()
    assert not StoredDocument.objects.exists()
    # The service says the same to any other door.
    with pytest.raises(ValidationError) as refused:
        services.dossier_document_photos_upload(
            user=draft.applicant,
            dossier=draft,
            requirement_id=paper.pk,
            photos=[(f"{n}.jpg", _photo(200, 150)) for n in range(3)],
        )
    assert "tối đa 2 ảnh chụp" in str(refused.value.message_dict[f"documents[{paper.pk}]"])


def test_a_photo_over_its_own_limit_is_refused_before_it_is_read(citizen_client, draft, paper, settings):
    settings.DOCUMENT_PHOTO_MAX_SIZE = 50_000
    photos = [_upload("nho.jpg", _photo(100, 100)), _upload("lon.jpg", _photo(800, 600))]
    response = _post_photos(citizen_client, draft, paper, photos)
    assert response.status_code == 400
    assert re.search(
        r"Ảnh thứ 2 \(“lon.jpg”\) có dung lượng [\d,.]+ KB, vượt quá giới hạn 49 KB cho mỗi ảnh.",
        response.content.decode(),
    )
    assert not StoredDocument.objects.exists()


def test_the_merged_pdf_over_the_component_limit_is_refused_with_its_size(citizen_client, draft, paper):
    paper.max_size = 100_000
    paper.save(update_fields=["max_size"])
    photos = [_upload(f"trang-{n}.jpg", _photo(1200, 900)) for n in range(3)]
    response = _post_photos(citizen_client, draft, paper, photos)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r"3 ảnh chụp ghép thành tệp PDF có dung lượng [\d,.]+ [KM]B, vượt quá giới hạn 98 KB", html)
    assert not StoredDocument.objects.exists()


def test_a_file_and_photos_for_one_slot_are_refused(citizen_client, draft, paper):
    response = citizen_client.post(
        _url(draft),
        {
            f"documents[{paper.pk}]": _upload("giay.jpg", _photo(200, 150)),
            f"photos[{paper.pk}]": [_upload("trang-1.jpg", _photo(200, 150))],
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert "tải tệp lên hoặc chụp ảnh" in response.content.decode()
    assert not StoredDocument.objects.exists()


def test_photos_for_a_submitted_dossier_are_refused(draft, paper):
    submitted = DossierFactory(applicant=draft.applicant, procedure_version=draft.procedure_version)
    with pytest.raises(ValidationError, match="trạng thái này"):
        services.dossier_document_photos_upload(
            user=submitted.applicant, dossier=submitted, requirement_id=paper.pk, photos=[("a.jpg", _photo(200, 150))]
        )


def test_the_service_refuses_no_photos_and_a_component_without_pdf_or_images(draft, paper):
    with pytest.raises(ValidationError, match="Chưa có ảnh chụp nào"):
        services.dossier_document_photos_upload(user=draft.applicant, dossier=draft, requirement_id=paper.pk, photos=[])
    docx_only = DocumentRequirementFactory(
        version=draft.procedure_version,
        accepted_types=["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    )
    with pytest.raises(ValidationError, match=r"không nhận ảnh chụp \(chỉ nhận DOCX\)"):
        services.dossier_document_photos_upload(
            user=draft.applicant, dossier=draft, requirement_id=docx_only.pk, photos=[("a.jpg", _photo(200, 150))]
        )
    assert not StoredDocument.objects.exists()
