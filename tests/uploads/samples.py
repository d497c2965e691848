"""Hostile and odd files for the upload policy's tests, each built here from a real PDF or image."""

import io
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)


def _write(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def plain_pdf() -> bytes:
    return _write(_writer())


def _with_open_action(action: dict) -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject(action))
    return _write(writer)


def pdf_open_uri() -> bytes:
    """``/OpenAction << /S /URI /URI (https://…) >>``: opens a web address when the file opens."""
    return _with_open_action(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://evil.example/")}
    )


def pdf_launch() -> bytes:
    return _with_open_action({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})


def pdf_javascript() -> bytes:
    return _with_open_action(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def pdf_attachment() -> bytes:
    """An embedded executable (``/EmbeddedFiles``)."""
    writer = _writer()
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + b"\x00" * 200)
    return _write(writer)


def pdf_xfa() -> bytes:
    writer = _writer()
    xfa = writer._add_object(StreamObject())
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): xfa}
    )
    return _write(writer)


def pdf_link_uri() -> bytes:
    """A page with a clickable link annotation whose action opens a web address."""
    writer = _writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(50)]),
            NameObject("/A"): DictionaryObject(
                {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://x.example/")}
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _write(writer)


def pdf_inflating_to(size: int) -> bytes:
    """A PDF with one Flate stream of ``size`` zero bytes (a few KB stored per MB inflated)."""
    writer = _writer()
    stream = StreamObject()
    stream._data = zlib.compress(b"\x00" * size, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer._root_object[NameObject("/Bomb")] = writer._add_object(stream)
    return _write(writer)


def pdf_html_head() -> bytes:
    """A PDF whose first kilobyte is also an HTML page (a comment line after the header)."""
    content = plain_pdf()
    return content.replace(b"\n", b"\n%<html><body><script>alert(document.cookie)</script></body></html>\n", 1)


def pdf_html_tail() -> bytes:
    return plain_pdf() + b"\n<html><script>alert(1)</script></html>\n"


def pdf_zip_tail() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ" + b"\x00" * 100)
    return plain_pdf() + buffer.getvalue()


def pdf_zip_comment_trick() -> bytes:
    """A ZIP whose end record's comment swallows the PDF's closing ``%%EOF``: both readers open it."""
    pdf = plain_pdf()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"hello")
    data = buffer.getvalue()
    tail = b"\n%%EOF\n"
    eocd = data.rfind(b"PK\x05\x06")
    data = data[: eocd + 20] + struct.pack("<H", len(tail))
    return pdf[: pdf.rfind(b"%%EOF")] + data + tail


def png(width: int = 8, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's shape)."""
    real = png(1, 1)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    start = real.index(b"IHDR") - 4
    end = start + 8 + 13 + 4
    return real[:start] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + real[end:]


def jpeg(width: int = 16, height: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()
