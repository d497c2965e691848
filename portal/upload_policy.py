"""The upload policy: what an uploaded file must be before the portal keeps it, in one place.

Every door that takes a file (the wizard, the API filing, supplements, the reception desk's
scans, an officer's result) goes through `dossiers.services.documents.document_inspect`, which
calls `upload_check` here once it knows the file's type from its bytes. The rules, each set in
``portal/settings/base.py`` (block "Upload policy"):

- **PDF active content** (``UPLOAD_PDF_ACTIVE_CONTENT``): JavaScript, Launch, a web address
  opened by itself (a URI action under ``/OpenAction`` or ``/AA``), form submission/import
  actions, embedded files and attachments, rich media and XFA forms are refused (``"refuse"``,
  the default) or removed by rewriting the file without them (``"strip"``; the rewritten file is
  checked again and kept in place of the upload). A link a person clicks (a link annotation's
  URI) is kept: agencies' e-documents carry them, and a viewer asks before following one.
- **Decompression limits**: every Flate stream of a PDF is inflated in bounded chunks, never
  whole, until ``UPLOAD_PDF_MAX_INFLATED_SIZE`` bytes in total; past that, or past
  ``UPLOAD_PDF_MAX_INFLATION_RATIO`` times the stored size (once the total exceeds
  ``RATIO_FLOOR``), the file is refused. pypdf's own limits (``LimitReachedError``) refuse the
  rest, as a clear message like any other unreadable PDF.
- **Images**: the pixel count is read from the header (Pillow's ``Image.open`` decodes
  nothing) and refused above ``UPLOAD_IMAGE_MAX_PIXELS`` before any decoding.
- **Polyglots**: a file that is also another format is refused: bytes before ``%PDF-``, HTML
  markers in the head, data after a PDF's last ``%%EOF`` or a PNG's ``IEND``, or a ZIP
  end-of-central-directory record that closes the file.
- **Antivirus** (``CLAMD_ADDRESS``, off when empty): the bytes are streamed to clamd with its
  ``INSTREAM`` command over TCP (``tcp://host:port``) or a Unix socket (``unix:///path``); a
  signature found, or clamd unreachable, refuses the file (fail closed).
- **Request bodies** (``REQUEST_BODY_MAX_SIZE``): `RequestBodyLimitMiddleware` answers 413
  before a body is read, from its Content-Length, or while a chunked body is streamed.

Every refusal is a ``ValidationError`` with a Vietnamese message and a stable code.
"""

import io
import re
import socket
import struct
import warnings
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf import get_configuration as get_pypdf_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, IndirectObject

PDF_ACTIVE_REFUSE = "refuse"
PDF_ACTIVE_STRIP = "strip"
# The ratio limit applies only once this much has been inflated: small files (a blank page's
# content stream) legitimately compress a hundred times and more.
RATIO_FLOOR = 16 * 1024 * 1024
_INFLATE_CHUNK = 1024 * 1024
_MAX_PDF_NODES = 200_000
_CLAMD_CHUNK = 64 * 1024

_STREAM_START = re.compile(rb"stream\r?\n")
_HTML_MARKERS = re.compile(rb"<(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta|form)[\s>/]", re.I)
_ZIP_EOCD = b"PK\x05\x06"
_PNG_END = b"IEND\xaeB`\x82"

# What each dangerous PDF key or action type is, in words for the applicant.
_KIND_JS = "javascript"
_KIND_LAUNCH = "launch"
_KIND_URI = "uri"
_KIND_EMBEDDED = "embedded"
_KIND_XFA = "xfa"
_KIND_OTHER = "other"
_ACTION_KINDS = {
    "/JavaScript": _KIND_JS,
    "/Launch": _KIND_LAUNCH,
    "/URI": _KIND_URI,
    "/SubmitForm": _KIND_OTHER,
    "/ImportData": _KIND_OTHER,
    "/GoToR": _KIND_LAUNCH,
    "/GoToE": _KIND_EMBEDDED,
    "/RichMediaExecute": _KIND_OTHER,
}
_KEY_KINDS = {
    "/JS": _KIND_JS,
    "/JavaScript": _KIND_JS,
    "/Launch": _KIND_LAUNCH,
    "/EmbeddedFiles": _KIND_EMBEDDED,
    "/EF": _KIND_EMBEDDED,
    "/XFA": _KIND_XFA,
    "/RichMedia": _KIND_OTHER,
    "/SubmitForm": _KIND_OTHER,
    "/ImportData": _KIND_OTHER,
}
_ANNOT_KINDS = {"/FileAttachment": _KIND_EMBEDDED, "/RichMedia": _KIND_OTHER, "/Movie": _KIND_OTHER}
# Keys removed wholesale when stripping: automatic actions go even when harmless.
_STRIP_KEYS = {*_KEY_KINDS, "/OpenAction", "/AA"}


def _kind_label(kind: str) -> str:
    return {
        _KIND_JS: _("mã lệnh JavaScript"),
        _KIND_LAUNCH: _("lệnh mở tệp hoặc chương trình khác"),
        _KIND_URI: _("lệnh mở địa chỉ web (URI)"),
        _KIND_EMBEDDED: _("tệp đính kèm nhúng bên trong"),
        _KIND_XFA: _("biểu mẫu động XFA"),
    }.get(kind, _("nội dung đa phương tiện hoặc lệnh gửi dữ liệu"))


def _grouped(number: float, decimals: int = 0) -> str:
    """A number in the active language's separators, thousands always grouped: ``30.000`` and
    ``12,4`` (vi), ``30,000`` and ``12.4`` (en). Django groups only with USE_THOUSAND_SEPARATOR
    and the locale's NUMBER_GROUPING, which Vietnamese leaves at 0."""
    separators = {",": get_format("THOUSAND_SEPARATOR"), ".": get_format("DECIMAL_SEPARATOR")}
    return f"{number:,.{decimals}f}".translate(str.maketrans(separators))


def human_size(size: int) -> str:
    """A size for people, in the active language's number format: ``12,4 MB``, ``10 MB``, ``850 KB``."""
    if size < 1024 * 1024:
        return f"{_grouped(max(size, 1) / 1024)} KB" if size >= 1024 else f"{size} B"
    mb = round(size / 1048576, 1)
    return f"{_grouped(mb, 0 if mb == int(mb) else 1)} MB"


def size_pair(size: int, limit: int) -> tuple[str, str]:
    """The size and the limit as shown together: the size never reads equal to a limit it exceeds."""
    shown, shown_limit = human_size(size), human_size(limit)
    if size > limit and shown == shown_limit:
        shown, shown_limit = f"{_grouped(size)} byte", f"{_grouped(limit)} byte"
    return shown, shown_limit


# --- PDFs -------------------------------------------------------------------------------


def _stream_bodies(content: bytes):
    """The raw bytes after each ``stream`` keyword, up to its ``endstream`` (a raw scan: it
    needs no parser, so a hostile file cannot make one inflate anything first)."""
    position = 0
    while match := _STREAM_START.search(content, position):
        end = content.find(b"endstream", match.end())
        if end < 0:
            yield content[match.end() :]
            return
        yield content[match.end() : end]
        position = end + 9


def pdf_inflated_size(content: bytes, *, budget: int) -> int:
    """Bytes that the PDF's Flate streams inflate to, counted in bounded chunks; stops
    counting (and returns more than ``budget``) as soon as the budget is exceeded."""
    total = 0
    for body in _stream_bodies(content):
        inflater = zlib.decompressobj()
        pending = body
        try:
            while pending and not inflater.eof:
                total += len(inflater.decompress(pending, _INFLATE_CHUNK))
                pending = inflater.unconsumed_tail
                if total > budget:
                    return total
        except zlib.error:
            continue  # not Flate, or broken: the parser decides about it
    return total


def _pdf_inflation_problem(content: bytes) -> str | None:
    limit = settings.UPLOAD_PDF_MAX_INFLATED_SIZE
    ratio = settings.UPLOAD_PDF_MAX_INFLATION_RATIO
    budget = min(limit, max(RATIO_FLOOR, len(content) * ratio))
    inflated = pdf_inflated_size(content, budget=budget)
    if inflated > budget:
        return _(
            "Tệp PDF giải nén ra quá lớn (vượt %(limit)s, hoặc gấp hơn %(ratio)d lần dung lượng tệp); "
            "hãy xuất lại tệp PDF thông thường rồi nộp."
        ) % {"limit": human_size(budget), "ratio": ratio}
    return None


def _action_kind(obj) -> str | None:
    kind = obj.get("/S")
    return _ACTION_KINDS.get(kind) if isinstance(kind, str) else None


def _resolved(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _automatic_uri(obj: dict) -> bool:
    """A web address opened with no click: a URI action as the document's or a page's
    ``/OpenAction``, or among the additional actions (``/AA``) run on events."""
    opened = _resolved(obj.get("/OpenAction")) if "/OpenAction" in obj else None
    events = _resolved(obj.get("/AA")) if "/AA" in obj else None
    actions = [opened] if isinstance(opened, dict) else []
    if isinstance(events, dict):
        actions += [a for a in (_resolved(v) for v in events.values()) if isinstance(a, dict)]
    return any(_action_kind(action) == _KIND_URI for action in actions)


def _dict_kind(obj: dict) -> str | None:
    """What makes this PDF dictionary active content, if anything."""
    for key in obj:
        if key in _KEY_KINDS:
            return _KEY_KINDS[key]
    if _automatic_uri(obj):
        return _KIND_URI
    if (kind := _action_kind(obj)) is not None and kind != _KIND_URI:
        return kind
    if obj.get("/Type") == "/EmbeddedFile":
        return _KIND_EMBEDDED
    subtype = obj.get("/Subtype")
    return _ANNOT_KINDS.get(subtype) if isinstance(subtype, str) else None


def _walk(root, visit) -> bool:
    """Visit every dictionary reachable from ``root`` once; ``visit`` returns True to stop.
    Returns False when the file is too complex to finish."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    nodes = 0
    while stack:
        obj = stack.pop()
        nodes += 1
        if nodes > _MAX_PDF_NODES:
            return False
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, dict):
            if visit(obj):
                return True
            stack.extend(obj.values())
        elif isinstance(obj, list):
            stack.extend(obj)
    return True


def _pdf_active_kind(reader: PdfReader) -> str | None:
    """The first kind of active content found in the file, ``"complex"`` when the walk gives up."""
    found: list[str] = []

    def visit(obj) -> bool:
        kind = _dict_kind(obj)
        if kind is not None:
            found.append(kind)
            return True
        return False

    if not _walk(reader.trailer, visit):
        return "complex"
    return found[0] if found else None


def _is_active(value) -> bool:
    target = value.get_object() if isinstance(value, IndirectObject) else value
    return isinstance(target, dict) and _dict_kind(target) is not None


def _pdf_strip(reader: PdfReader) -> bytes:
    """The file rewritten without active content: dangerous keys dropped, action entries
    pointing at dangerous actions dropped, attachment and media annotations removed."""
    writer = PdfWriter(clone_from=reader)

    def visit(obj) -> bool:
        for key in list(obj.keys()):
            if key in _STRIP_KEYS or (key not in ("/Parent", "/P") and _is_active(obj[key])):
                del obj[key]
                continue
            value = obj[key]
            target = value.get_object() if isinstance(value, IndirectObject) else value
            if isinstance(target, ArrayObject):
                kept = [item for item in target if not _is_active(item)]
                if len(kept) != len(target):
                    target[:] = kept
        return False

    _walk(writer._root_object, visit)
    buffer = io.BytesIO()
    writer.write(buffer)
    # The writer still holds the objects no longer referenced (an attachment's bytes): a
    # second copy takes only what the stripped document reaches.
    clean = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue()), strict=False))
    buffer = io.BytesIO()
    clean.write(buffer)
    return buffer.getvalue()


def _pdf_tail_problem(content: bytes) -> bool:
    """Data after the last ``%%EOF`` (bar whitespace and NULs), or bytes before ``%PDF-``."""
    if not content.startswith(b"%PDF-"):
        return True
    end = content.rfind(b"%%EOF")
    return end >= 0 and bool(content[end + 5 :].strip(b" \t\r\n\x00\x0c"))


@dataclass(frozen=True)
class _PdfVerdict:
    problem: str | None
    content: bytes


def _pdf_check(content: bytes) -> _PdfVerdict:
    problem = _pdf_inflation_problem(content)
    if problem:
        return _PdfVerdict(problem, content)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            return _PdfVerdict(_("Tệp PDF được mã hoá hoặc đặt mật khẩu; hãy nộp bản không mã hoá."), content)
        if len(reader.pages) == 0:
            return _PdfVerdict(_("Tệp PDF không có trang nào."), content)
        kind = _pdf_active_kind(reader)
        if kind == "complex":
            return _PdfVerdict(_("Tệp PDF quá phức tạp để kiểm tra an toàn."), content)
        if kind is not None and settings.UPLOAD_PDF_ACTIVE_CONTENT == PDF_ACTIVE_STRIP:
            content = _pdf_strip(reader)
            reader = PdfReader(io.BytesIO(content), strict=False)
            kind = _pdf_active_kind(reader)
        if kind is not None:
            return _PdfVerdict(
                _("Tệp PDF chứa %(what)s; không được chấp nhận. Hãy in lại thành PDF thường (Print to PDF) rồi nộp.")
                % {"what": _kind_label(kind)},
                content,
            )
    except LimitReachedError:
        # pypdf's own limits (pypdf.Configuration): a stream inflating past 75,000,000 bytes,
        # an array or dictionary of more than 100,000 elements.
        configuration = get_pypdf_configuration()
        return _PdfVerdict(
            _(
                "Tệp PDF có dữ liệu vượt giới hạn kiểm tra (một luồng nén giải nén ra quá %(limit)s, hoặc một "
                "danh sách quá %(elements)s phần tử); hãy xuất lại tệp PDF thông thường."
            )
            % {
                "limit": human_size(configuration.zlib_maximum_output_length),
                "elements": _grouped(configuration.array_maximum_element_count),
            },
            content,
        )
    except PyPdfError:
        return _PdfVerdict(_("Tệp PDF bị hỏng hoặc không đọc được."), content)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OSError, AttributeError, zlib.error):
        # pypdf's parser meets hostile bytes with any of these; each means "cannot read it".
        return _PdfVerdict(_("Tệp PDF bị hỏng hoặc không đọc được."), content)
    return _PdfVerdict(None, content)


# --- images ------------------------------------------------------------------------------


def _image_problem(content: bytes) -> str | None:
    limit = settings.UPLOAD_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:  # reads the header only
                width, height = image.size
                if width * height > limit:
                    return _too_many_pixels(width, height, limit)
                image.verify()  # structure and checksums, without decoding the pixels
    except Image.DecompressionBombError:
        # Past twice Pillow's own limit, Image.open refuses before telling the size.
        return _too_many_pixels(*_header_size(content), limit)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, EOFError, MemoryError):
        # Pillow's header parsers answer hostile bytes with any of these.
        return _("Ảnh bị hỏng hoặc không đọc được.")
    return None


def _header_size(content: bytes) -> tuple[int, int]:
    """Width and height read from the image's header by Pillow's format plugins (what
    ``Image.open`` does, without its decompression-bomb check); (0, 0) when none reads it."""
    Image.init()
    prefix = content[:16]
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        verdict = accept(prefix) if accept is not None else True
        if not verdict or isinstance(verdict, str):  # a string is a plugin's "mine, but unreadable"
            continue
        try:
            with factory(io.BytesIO(content), "") as image:
                return image.size
        except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, EOFError):
            continue
    return 0, 0


def _too_many_pixels(width: int, height: int, limit: int) -> str:
    if width and height:
        return _(
            "Ảnh %(width)s × %(height)s điểm ảnh (%(pixels)s điểm ảnh) vượt quá giới hạn %(limit)s điểm ảnh; "
            "hãy thu nhỏ ảnh rồi nộp lại."
        ) % {
            "width": _grouped(width),
            "height": _grouped(height),
            "pixels": _grouped(width * height),
            "limit": _grouped(limit),
        }
    return _("Ảnh có số điểm ảnh vượt quá giới hạn %(limit)s điểm ảnh; hãy thu nhỏ ảnh rồi nộp lại.") % {
        "limit": _grouped(limit)
    }


# --- polyglots ---------------------------------------------------------------------------


def _zip_closes(content: bytes) -> bool:
    """A ZIP end-of-central-directory record whose comment ends the file: a ZIP reader would
    open this file as an archive."""
    ends = {len(content), len(content.rstrip(b" \t\r\n\x00"))}
    start = max(0, len(content) - 65_600)
    position = content.rfind(_ZIP_EOCD, start)
    while position >= 0:
        if position + 22 <= len(content):
            (comment_length,) = struct.unpack_from("<H", content, position + 20)
            if position + 22 + comment_length in ends:
                return True
        position = content.rfind(_ZIP_EOCD, start, position)
    return False


def _polyglot(content: bytes, mime_type: str) -> bool:
    if _HTML_MARKERS.search(content[:1024]):
        return True
    if mime_type != "application/zip" and not mime_type.startswith("application/vnd.") and _zip_closes(content):
        return True
    if mime_type == "application/pdf":
        return _pdf_tail_problem(content)
    if mime_type == "image/png":
        end = content.rfind(_PNG_END)
        return end >= 0 and bool(content[end + len(_PNG_END) :].strip(b"\x00"))
    return False


# --- antivirus ---------------------------------------------------------------------------


class ScanUnavailable(Exception):
    """clamd could not be asked, or did not answer with a verdict."""


def _clamd_connect(address: str, timeout: float) -> socket.socket:
    parts = urlsplit(address)
    if parts.scheme == "tcp":
        return socket.create_connection((parts.hostname, parts.port or 3310), timeout=timeout)
    path = parts.path if parts.scheme == "unix" else address
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    return sock


def clamd_scan(content: bytes, *, address: str, timeout: float = 30) -> str | None:
    """Stream ``content`` to clamd (``zINSTREAM``: chunks of a 4-byte big-endian length and the
    bytes, closed by a zero length); the signature name when clamd finds one, else None."""
    try:
        with _clamd_connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), _CLAMD_CHUNK):
                chunk = content[start : start + _CLAMD_CHUNK]
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < 4096:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except OSError as error:
        raise ScanUnavailable(str(error)) from error
    answer = reply.rstrip(b"\0\n").decode("utf-8", "replace")
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    verdict = answer.split(": ", 1)[-1]
    if verdict == "OK":
        return None
    if verdict.endswith(" FOUND"):
        return verdict.removesuffix(" FOUND").strip() or "?"
    raise ScanUnavailable(answer or "no answer")


# --- the policy --------------------------------------------------------------------------


def upload_check(*, name: str, content: bytes, mime_type: str) -> bytes:
    """Apply the policy to a file whose type was read from its bytes; the bytes to keep
    (rewritten when the policy strips active content). Raises ValidationError when refused."""
    if _polyglot(content, mime_type):
        raise ValidationError(
            _("Tệp “%(name)s” đồng thời chứa dữ liệu của định dạng khác (HTML, ZIP…); không được chấp nhận.")
            % {"name": name},
            code="polyglot",
        )
    if mime_type == "application/pdf":
        verdict = _pdf_check(content)
        if verdict.problem:
            raise ValidationError(f"“{name}”: {verdict.problem}", code="bad_pdf")
        content = verdict.content
    elif mime_type.startswith("image/"):
        problem = _image_problem(content)
        if problem:
            raise ValidationError(f"“{name}”: {problem}", code="bad_image")
    if settings.CLAMD_ADDRESS:
        try:
            signature = clamd_scan(content, address=settings.CLAMD_ADDRESS, timeout=settings.CLAMD_TIMEOUT)
        except ScanUnavailable:
            raise ValidationError(
                _("Chưa kiểm tra được virus cho tệp “%(name)s”. Vui lòng thử lại sau ít phút.") % {"name": name},
                code="scan_unavailable",
            ) from None
        if signature:
            raise ValidationError(
                _("Tệp “%(name)s” bị phát hiện chứa mã độc (%(signature)s); không được chấp nhận.")
                % {"name": name, "signature": signature},
                code="infected",
            )
    return content


# --- request bodies ----------------------------------------------------------------------


def _too_large_response(request, size: int | None):
    limit = settings.REQUEST_BODY_MAX_SIZE
    if size is None:
        message = _("Dữ liệu gửi lên vượt quá giới hạn %(limit)s cho mỗi lần gửi.") % {"limit": human_size(limit)}
    else:
        shown, shown_limit = size_pair(size, limit)
        message = _("Dữ liệu gửi lên (%(size)s) vượt quá giới hạn %(limit)s cho mỗi lần gửi.") % {
            "size": shown,
            "limit": shown_limit,
        }
    if request.path.startswith("/api/"):
        body = {"error": {"code": "payload_too_large", "message": message, "fields": {}}, "detail": message}
        response = JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response


class RequestBodyLimitMiddleware:
    """413 for a body over ``REQUEST_BODY_MAX_SIZE`` before anything reads it: from the
    Content-Length when there is one; a chunked body (no length, the server decoding it) is
    read here in bounded pieces and refused as soon as it passes the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_MAX_SIZE
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length:
            try:
                length = int(raw_length)
            except ValueError:
                length = 0
            if length > limit:
                return _too_large_response(request, length)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            stream = request.environ.get("wsgi.input")
            if stream is not None and request.environ.get("wsgi.input_terminated"):
                body = bytearray()
                while len(body) <= limit:
                    piece = stream.read(min(_INFLATE_CHUNK, limit + 1 - len(body)))
                    if not piece:
                        break
                    body += piece
                if len(body) > limit:
                    return _too_large_response(request, None)
                request.META["CONTENT_LENGTH"] = str(len(body))
                request._stream = LimitedStream(io.BytesIO(bytes(body)), len(body))
        return self.get_response(request)
