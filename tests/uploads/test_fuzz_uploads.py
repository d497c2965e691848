"""Property-based fuzzing of the upload checker: real PDFs and images (clean and hostile),
mutated by hypothesis — bytes flipped, cut, duplicated, spliced with PDF and PNG tokens — and
thrown at `document_inspect`. The only allowed outcomes are acceptance (of bytes that pass the
policy again) and a clear refusal (a ValidationError with a message); any other exception is
a bug. The short run is deterministic (``derandomize``); ``FUZZ_LONG=1`` runs many more
random examples (``make fuzz``)."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers.services.documents import document_inspect
from tests.uploads import samples

pytestmark = pytest.mark.django_db

LONG = os.environ.get("FUZZ_LONG") == "1"
PROFILE = settings(
    max_examples=2000 if LONG else 60,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=list(HealthCheck),
)
TYPES = ["application/pdf", "image/png", "image/jpeg", "image/tiff"]
TOKENS = [
    b"/JS",
    b"/JavaScript",
    b"/OpenAction",
    b"/EmbeddedFiles",
    b"/XFA",
    b"/S /URI",
    b"stream\n",
    b"endstream",
    b"endobj",
    b" 0 obj",
    b" 0 R",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"(",
    b"/Filter /FlateDecode",
    b"/Length 999999999",
    b"/Type /ObjStm",
    b"xref\n",
    b"trailer",
    b"startxref\n0\n",
    b"%%EOF",
    b"<html>",
    b"PK\x05\x06",
    b"IHDR",
    b"IDAT",
    b"IEND",
    b"\xff\xd8\xff",
    b"\x00" * 8,
    b"\xff" * 8,
]


def _seeds() -> list[bytes]:
    return [
        samples.plain_pdf(),
        samples.pdf_javascript(),
        samples.pdf_attachment(),
        samples.pdf_link_uri(),
        samples.pdf_xfa(),
        samples.pdf_inflating_to(64 * 1024),
        samples.png(),
        samples.png_claiming(5000, 5000),
        samples.jpeg(),
    ]


SEEDS = _seeds()


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "token", "duplicate", "truncate"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        else:
            del data[at:]
    return bytes(data)


def _check(content: bytes) -> None:
    try:
        inspected = document_inspect(name="fuzz.bin", content=content, accepted_types=TYPES)
    except ValidationError as error:
        assert error.messages and all(isinstance(m, str) and m for m in error.messages)
        return
    # What was accepted is accepted again as it is: the policy is stable on its own output.
    again = document_inspect(name="fuzz.bin", content=inspected.content, accepted_types=TYPES)
    assert again.content == inspected.content


@PROFILE
@given(mutated())
def test_mutated_files_are_accepted_or_clearly_refused(content):
    _check(content)


@PROFILE
@given(mutated())
def test_mutated_files_under_the_stripping_policy(content):
    with override_settings(UPLOAD_PDF_ACTIVE_CONTENT="strip"):
        _check(content)


@settings(PROFILE, max_examples=200 if LONG else 25)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_accepted_or_clearly_refused(content):
    _check(content)
