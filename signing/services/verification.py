"""Verification of the signatures in a PDF, for anyone: the page and the API share it.

Each signature gets a verdict in plain Vietnamese: valid; valid and signed again later;
modified after signing; not trusted (its chain does not reach the trust store); revoked;
or cannot be determined, with the reason. Bad input is a ValidationError, never a crash.
"""

import dataclasses
import datetime as dt
import io
import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signing.asyncsafe import call_sync
from signing.constants import VERIFY_MAX_BYTES, Coverage, Verdict
from signing.selectors import validation_context

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class SignatureReport:
    field_name: str
    signer: str = ""
    organisation: str = ""
    issuer: str = ""
    signing_time: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    intact: bool = False
    trusted: bool = False
    revoked: bool = False
    covers_whole_document: bool = False
    coverage: str = Coverage.CHANGED
    verdict: str = Verdict.INDETERMINATE
    reason: str = ""

    @property
    def verdict_label(self) -> str:
        return str(Verdict(self.verdict).label)

    @property
    def coverage_label(self) -> str:
        return str(Coverage(self.coverage).label)

    def as_dict(self) -> dict:
        return {
            "field_name": self.field_name,
            "signer": self.signer,
            "organisation": self.organisation,
            "issuer": self.issuer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "intact": self.intact,
            "trusted": self.trusted,
            "revoked": self.revoked,
            "covers_whole_document": self.covers_whole_document,
            "coverage": self.coverage,
            "coverage_label": self.coverage_label,
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "reason": self.reason,
        }


def _name_part(cert, key: str) -> str:
    try:
        return str(cert.subject.native.get(key) or "")
    except (ValueError, AttributeError):
        return ""


def _coverage(status) -> str:
    """Tells apart what came after a signature: nothing, only validation data (the DSS of B-LT,
    document timestamps: pyHanko's LTA_UPDATES), only further signatures (FORM_FILLING under the
    DocMDP rules), or anything else."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return Coverage.ENTIRE_FILE
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok:
        level = status.modification_level
        if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
            return Coverage.VALIDATION_DATA
        if level == ModificationLevel.FORM_FILLING:
            return Coverage.LATER_SIGNATURES
    return Coverage.CHANGED


def _verdict(status) -> tuple[str, str]:
    if not status.intact or not status.valid:
        return Verdict.MODIFIED, _("Nội dung được ký không còn khớp với chữ ký.")
    coverage = status.coverage
    if coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return Verdict.MODIFIED, _("Chữ ký không bao trùm toàn bộ tài liệu.")
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        level = status.modification_level
        if level is None or level == ModificationLevel.OTHER or not status.docmdp_ok:
            return Verdict.MODIFIED, _("Tài liệu đã bị sửa đổi sau khi ký.")
    if status.revoked:
        return Verdict.REVOKED, _("Chứng thư số của người ký đã bị thu hồi.")
    if not status.trusted:
        return Verdict.UNTRUSTED, _("Chuỗi chứng thư không dẫn tới chứng thư gốc nào trong kho tin cậy.")
    # Only validation data (a DSS, as PAdES B-LT adds) or document timestamps came after it: still
    # the document as signed. Any later signature shows as form filling.
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.modification_level not in (
        ModificationLevel.NONE,
        ModificationLevel.LTA_UPDATES,
    ):
        return Verdict.VALID_LATER_SIGNED, _("Sau chữ ký này tài liệu chỉ được ký tiếp, không bị sửa nội dung.")
    return Verdict.VALID, ""


def pdf_verify(*, pdf: bytes, max_bytes: int = VERIFY_MAX_BYTES) -> list[SignatureReport]:
    """One report per signature, in signing order; ValidationError when the file cannot be read.

    ``max_bytes`` bounds what an upload may make the portal parse; an operator's own file (a
    command line's) may pass a larger bound."""
    if len(pdf) > max_bytes:
        raise ValidationError(
            _("Tệp quá lớn: tối đa %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    if not pdf.startswith(b"%PDF-") and b"%PDF-" not in pdf[:1024]:
        raise ValidationError(_("Tệp không phải là tài liệu PDF."), code="not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise ValidationError(_("Tệp PDF được mã hóa bằng mật khẩu: không kiểm tra được."), code="encrypted")
        embedded = list(reader.embedded_signatures)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken PDF can fail anywhere inside the parser
        logger.info("unreadable PDF on verification: %s", type(exc).__name__)
        raise ValidationError(_("Tệp PDF bị hỏng hoặc không đọc được."), code="bad_pdf") from exc
    if not embedded:
        raise ValidationError(_("Tài liệu không có chữ ký số nào."), code="unsigned")

    reports = []
    context = None  # one trust store and set of CRLs for every signature of the file, built once
    for sig in embedded:
        report = SignatureReport(field_name=sig.field_name)
        try:
            cert = sig.signer_cert
            report.signer = _name_part(cert, "common_name")
            report.organisation = _name_part(cert, "organization_name")
            report.issuer = str(cert.issuer.native.get("common_name") or "")
            report.signing_time = sig.self_reported_timestamp
            context = context or validation_context()
            status = call_sync(validate_pdf_signature, sig, signer_validation_context=context)
            report.intact = bool(status.intact and status.valid)
            report.trusted = bool(status.trusted)
            report.revoked = bool(status.revoked)
            report.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            report.coverage = _coverage(status)
            if status.timestamp_validity is not None:
                report.timestamp = status.timestamp_validity.timestamp
            report.verdict, report.reason = _verdict(status)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
            logger.info("signature %s could not be validated: %s", sig.field_name, type(exc).__name__)
            report.verdict = Verdict.INDETERMINATE
            report.reason = _("Không đọc được dữ liệu chữ ký (%(kind)s).") % {"kind": type(exc).__name__}
        reports.append(report)
    return reports
