"""PAdES signing: B-B valid against the test root, visible Vietnamese stamp, several signatures
in order, B-T with an in-process TSA, the worker's key cache, bad input."""

import io
import re

import pytest
from asn1crypto import x509 as asn1_x509
from django.core.exceptions import ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from signing import backends
from signing.asyncsafe import call_sync
from signing.constants import IdentityKind
from signing.services import pdf_sign

pytestmark = pytest.mark.django_db


def _context(pki):
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.der)],
        other_certs=[asn1_x509.Certificate.load(pki.intermediate.der)],
    )


def _stamp_texts(pdf: bytes) -> list[str]:
    """The text of each visible stamp, read from the ActualText pyHanko writes beside the glyphs."""
    texts = []
    for annot in PdfReader(io.BytesIO(pdf)).pages[-1].get("/Annots", []):
        stream = annot.get_object()["/AP"]["/N"].get_object().get_data()
        parts = re.findall(rb"/ActualText <([0-9A-Fa-f]+)>|/ActualText \(((?:\\.|[^\\)])*)\)", stream)
        line = []
        for hex_part, literal in parts:
            raw = bytes.fromhex(hex_part.decode()) if hex_part else _unescape(literal)
            line.append(raw.decode("utf-16-be").lstrip("\ufeff"))
        texts.append("\n".join(line))
    return texts


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        c = literal[i]
        if c == 0x5C:  # backslash
            nxt = literal[i + 1 : i + 4]
            if nxt[:1].isdigit():
                digits = re.match(rb"[0-7]{1,3}", nxt).group()
                out.append(int(digits, 8))
                i += 1 + len(digits)
                continue
            out.append({b"n": 10, b"r": 13, b"t": 9}.get(nxt[:1], nxt[0]))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def test_b_b_signature_validates_against_the_test_root(pki, seal, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, reason="Ký kết quả", location="Tỉnh Demo")
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = call_sync(validate_pdf_signature, sig, signer_validation_context=_context(pki))
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert sig.signer_cert.subject.native["common_name"] == "Sở Tư pháp Tỉnh Demo"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.timestamp_validity is None  # B-B: no TSA configured


def test_signature_does_not_validate_against_another_root(pki, seal, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(pki.other_root.der)])
    assert not call_sync(validate_pdf_signature, sig, signer_validation_context=context).trusted


def test_visible_stamp_on_the_last_page_in_vietnamese_with_a_qr_to_verify(seal, two_page_pdf, settings):
    settings.SITE_URL = "https://dichvucong.example.gov.vn"
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    reader = PdfReader(io.BytesIO(signed))
    assert "/Annots" not in reader.pages[0]
    (text,) = _stamp_texts(signed)
    assert "Ký bởi: Sở Tư pháp Tỉnh Demo" in text
    assert f"Cơ quan: {seal.agency.name}" in text
    assert "Thời gian ký:" in text
    assert "https://dichvucong.example.gov.vn/verify/" in text
    appearance = reader.pages[-1]["/Annots"][0].get_object()["/AP"]["/N"].get_object()
    assert "/QR" in appearance["/Resources"]["/XObject"]
    font = appearance["/Resources"]["/Font"]["/F1"].get_object()
    assert "NotoSans" in font["/BaseFont"]


def test_invisible_signature_has_no_stamp(seal, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, visible=False)
    assert _stamp_texts(signed) in ([], [""])


def test_three_signatures_in_order_each_incremental_and_all_stay_valid(
    pki, agency, seal, import_identity, two_page_pdf, user
):
    specialist = import_identity(pki.officer, agency=agency, kind=IdentityKind.OFFICER, user=user)
    leader = import_identity(pki.expiring, agency=agency, kind=IdentityKind.OFFICER, user=user)
    first = pdf_sign(pdf=two_page_pdf, identity_id=specialist.pk)
    second = pdf_sign(pdf=first, identity_id=leader.pk)
    third = pdf_sign(pdf=second, identity_id=seal.pk)
    assert third.startswith(second) and second.startswith(first)  # incremental updates
    sigs = PdfFileReader(io.BytesIO(third)).embedded_signatures
    assert [s.field_name for s in sigs] == ["Signature1", "Signature2", "Signature3"]
    for sig in sigs:
        status = call_sync(validate_pdf_signature, sig, signer_validation_context=_context(pki))
        assert status.intact and status.valid and status.trusted, sig.field_name
    assert len(_stamp_texts(third)) == 3
    rects = [a.get_object()["/Rect"] for a in PdfReader(io.BytesIO(third)).pages[-1]["/Annots"]]
    assert len({tuple(float(v) for v in r) for r in rects}) == 3  # stamps do not overlap


def test_b_t_with_a_time_stamping_authority(pki, seal, two_page_pdf, timestamper):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, timestamper=timestamper)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.der)],
        other_certs=[asn1_x509.Certificate.load(pki.intermediate.der)],
    )
    status = call_sync(validate_pdf_signature, sig, signer_validation_context=context, ts_validation_context=context)
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted


def test_the_parsed_key_is_kept_between_documents(seal, two_page_pdf, monkeypatch):
    calls = []
    real = backends.decrypt_secret
    monkeypatch.setattr(backends, "decrypt_secret", lambda blob: calls.append(1) or real(blob))
    pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, visible=False)
    pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, visible=False)
    assert len(calls) == 1


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nbroken", b"hello"])
def test_a_broken_pdf_is_refused_with_a_vietnamese_message(seal, data):
    with pytest.raises(ValidationError, match="Tệp PDF bị hỏng"):
        pdf_sign(pdf=data, identity_id=seal.pk)


def test_pyhanko_calls_work_inside_a_running_event_loop(seal, two_page_pdf, pki):
    """pyHanko's sync helpers call asyncio.run; called from a running loop they move to a thread.

    The browser tests' Playwright sync API leaves such a loop running in the test process.
    """
    import asyncio

    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, visible=False)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]

    async def inside_a_loop():
        with pytest.raises(RuntimeError, match="running event loop"):
            validate_pdf_signature(sig, signer_validation_context=_context(pki))
        return call_sync(validate_pdf_signature, sig, signer_validation_context=_context(pki))

    # The test process may already run a loop (browser tests): start this one in its own thread.
    status = call_sync(asyncio.run, inside_a_loop())
    assert status.intact and status.valid and status.trusted
