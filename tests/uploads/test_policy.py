"""The upload policy (portal/upload_policy.py) on real files: what is refused, what is
stripped, what passes, and the words of each refusal in both languages."""

import io
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfStreamError

from dossiers.services.documents import document_inspect
from portal import upload_policy
from portal.upload_policy import human_size, pdf_inflated_size, size_pair
from tests.uploads import samples

ALL_TYPES = ["application/pdf", "image/png", "image/jpeg"]

ACTIVE = {
    "open_uri": (samples.pdf_open_uri, "URI", "URI"),
    "launch": (samples.pdf_launch, "lệnh mở tệp hoặc chương trình khác", "launches"),
    "javascript": (samples.pdf_javascript, "JavaScript", "JavaScript"),
    "attachment": (samples.pdf_attachment, "tệp đính kèm nhúng", "embedded"),
    "xfa": (samples.pdf_xfa, "XFA", "XFA"),
}
POLYGLOTS = {
    "html_head": samples.pdf_html_head,
    "html_tail": samples.pdf_html_tail,
    "zip_tail": samples.pdf_zip_tail,
    "zip_comment": samples.pdf_zip_comment_trick,
}


def _refusal(content: bytes, language: str = "vi", **kwargs) -> ValidationError:
    with translation.override(language), pytest.raises(ValidationError) as caught:
        document_inspect(name="tep.pdf", content=content, accepted_types=ALL_TYPES, **kwargs)
    return caught.value


def test_a_link_a_person_clicks_is_kept(settings):
    """A link annotation's web address is not active content: e-documents carry them (the
    refusal is for a web address opened by itself, /OpenAction or /AA)."""
    content = samples.pdf_link_uri()
    for mode in ("refuse", "strip"):
        settings.UPLOAD_PDF_ACTIVE_CONTENT = mode
        inspected = document_inspect(name="tep.pdf", content=content, accepted_types=ALL_TYPES)
        assert inspected.content == content


def test_plain_files_pass_unchanged():
    for content in (samples.plain_pdf(), samples.png(), samples.jpeg()):
        inspected = document_inspect(name="tep", content=content, accepted_types=ALL_TYPES)
        assert inspected.content == content
        assert inspected.size == len(content)


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_active_pdf_content_is_refused_by_default(case, settings):
    assert settings.UPLOAD_PDF_ACTIVE_CONTENT == "refuse"
    build, vi, en = ACTIVE[case]
    content = build()
    error = _refusal(content)
    assert error.code == "bad_pdf"
    assert vi in error.messages[0] and "không được chấp nhận" in error.messages[0]
    assert en in _refusal(content, "en").messages[0]


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_active_pdf_content_is_stripped_when_the_policy_says_so(case, settings):
    settings.UPLOAD_PDF_ACTIVE_CONTENT = "strip"
    content = ACTIVE[case][0]()
    inspected = document_inspect(name="tep.pdf", content=content, accepted_types=ALL_TYPES)
    assert inspected.content != content
    assert inspected.size == len(inspected.content)
    reader = PdfReader(io.BytesIO(inspected.content))
    assert len(reader.pages) == 1
    assert upload_policy._pdf_active_kind(reader) is None
    assert b"MZ\x90" not in inspected.content  # the embedded executable is gone, not just unlinked
    # The stripped file passes the refusing policy too.
    settings.UPLOAD_PDF_ACTIVE_CONTENT = "refuse"
    assert document_inspect(name="tep.pdf", content=inspected.content).content == inspected.content


@pytest.mark.parametrize("case", sorted(POLYGLOTS))
def test_polyglots_are_refused(case):
    content = POLYGLOTS[case]()
    error = _refusal(content)
    assert error.code == "polyglot"
    assert "HTML, ZIP" in error.messages[0]
    assert "another format" in _refusal(content, "en").messages[0]


def test_a_png_with_html_in_its_head_or_data_after_its_end_is_refused():
    png = samples.png()
    with_text = png[:33] + b"\x00\x00\x00\x1ctEXt<html><script>x</script>" + png[33:]
    for content in (with_text, png + b"PK\x03\x04 appended archive"):
        assert _refusal(content).code == "polyglot"


def test_a_pdf_inflating_past_the_absolute_limit_is_refused_without_inflating_it_all(settings):
    settings.UPLOAD_PDF_MAX_INFLATED_SIZE = 8 * 1024 * 1024
    settings.UPLOAD_PDF_MAX_INFLATION_RATIO = 100_000
    content = samples.pdf_inflating_to(64 * 1024 * 1024)
    assert len(content) < 200_000
    error = _refusal(content)
    assert "giải nén ra quá lớn" in error.messages[0] and "8 MB" in error.messages[0]
    assert "decompresses" in _refusal(content, "en").messages[0]
    # Counting stops just past the budget: at most one chunk more was inflated.
    assert pdf_inflated_size(content, budget=8 * 1024 * 1024) <= 9 * 1024 * 1024


def test_a_pdf_inflating_past_the_ratio_is_refused(settings):
    settings.UPLOAD_PDF_MAX_INFLATED_SIZE = 10**10
    content = samples.pdf_inflating_to(40 * 1024 * 1024)  # ~40 KB stored: a thousand times and more
    assert "giải nén ra quá lớn" in _refusal(content).messages[0]


def test_a_pdf_with_a_modest_ratio_passes(settings):
    content = samples.pdf_inflating_to(4 * 1024 * 1024)  # under the ratio's floor
    assert document_inspect(name="tep.pdf", content=content).size == len(content)


def test_any_pypdf_error_is_a_clear_refusal():
    content = samples.plain_pdf()
    cases = [
        (LimitReachedError("Limit reached while decompressing."), "giải nén ra quá 71,5 MB"),
        (PdfStreamError("Stream has ended unexpectedly"), "bị hỏng"),
        (RecursionError(), "bị hỏng"),
    ]
    for error, words in cases:
        with mock.patch.object(upload_policy, "PdfReader", side_effect=error):
            refusal = _refusal(content)
        assert refusal.code == "bad_pdf"
        assert words in refusal.messages[0]


def test_an_image_with_too_many_pixels_is_refused_from_its_header(settings):
    content = samples.png_claiming(30_000, 30_000)
    assert len(content) < 200
    error = _refusal(content)
    assert error.code == "bad_image"
    # Past twice Pillow's own limit Image.open refuses before telling the size: read from the header.
    assert error.messages == [
        "“tep.pdf”: Ảnh 30.000 × 30.000 điểm ảnh (900.000.000 điểm ảnh) vượt quá giới hạn 60.000.000 điểm ảnh; "
        "hãy thu nhỏ ảnh rồi nộp lại."
    ]
    assert _refusal(content, "en").messages == [
        "“tep.pdf”: The image is 30,000 × 30,000 pixels (900,000,000 pixels), over the limit of 60,000,000 pixels; "
        "scale it down and upload it again."
    ]
    # Under Pillow's limit, over ours.
    settings.UPLOAD_IMAGE_MAX_PIXELS = 100
    assert _refusal(samples.png(20, 20)).messages == [
        "“tep.pdf”: Ảnh 20 × 20 điểm ảnh (400 điểm ảnh) vượt quá giới hạn 100 điểm ảnh; hãy thu nhỏ ảnh rồi nộp lại."
    ]
    settings.UPLOAD_IMAGE_MAX_PIXELS = 12_000
    assert (
        "120 × 120 điểm ảnh (14.400 điểm ảnh) vượt quá giới hạn 12.000 điểm ảnh"
        in (_refusal(samples.jpeg(120, 120)).messages[0])
    )


def test_a_header_too_big_for_pillow_still_tells_its_size():
    assert upload_policy._header_size(samples.png_claiming(30_000, 20_000)) == (30_000, 20_000)
    assert upload_policy._header_size(b"not an image at all") == (0, 0)


def test_a_broken_image_is_refused():
    content = samples.png()[:40] + b"\x00" * 40
    assert _refusal(content).code == "bad_image"


def test_sizes_read_as_people_write_them():
    with translation.override("vi"):
        assert human_size(10 * 1048576) == "10 MB"
        assert human_size(int(12.4 * 1048576)) == "12,4 MB"
        assert human_size(850 * 1024) == "850 KB"
        # Just past the limit: never "10 MB over the 10 MB limit".
        shown, limit = size_pair(10 * 1048576 + 5, 10 * 1048576)
        assert shown != limit and shown.startswith("10.485.765")
        assert human_size(1536 * 1048576) == "1.536 MB"
    with translation.override("en"):
        assert human_size(int(12.4 * 1048576)) == "12.4 MB"
        assert human_size(1536 * 1048576) == "1,536 MB"


def test_the_size_refusal_names_the_real_size_and_the_limit():
    content = samples.plain_pdf() + b" " * (12 * 1048576)
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        document_inspect(name="to-khai.pdf", content=content, max_size=10 * 1048576)
    assert caught.value.messages == ["Tệp “to-khai.pdf” có dung lượng 12 MB, vượt quá giới hạn 10 MB."]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        document_inspect(name="to-khai.pdf", content=content, max_size=10 * 1048576)
    assert caught.value.messages == ["The file “to-khai.pdf” is 12 MB, over the 10 MB limit."]
