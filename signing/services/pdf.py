"""PAdES signing of a PDF: B-B always, B-T with a time-stamping authority, B-LT when enabled.

Each call appends one signature as an incremental update, so earlier signatures stay valid:
the specialist's, then the leader's, then the agency seal on the same result.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from signing.asyncsafe import call_sync
from signing.backends import backend_for
from signing.models import SigningIdentity
from signing.selectors import validation_context
from signing.stamp import stamp_box, stamp_style


def _timestamper():
    if settings.SIGNING_TSA_URL:
        return timestamps.HTTPTimeStamper(settings.SIGNING_TSA_URL)
    return None


def _validation_context():
    # B-LT embeds what the chain's OCSP responders and CRL distribution points answer (when
    # SIGNING_REVOCATION_FETCH allows asking them) besides the trust store's CRLs.
    return validation_context()


def verify_url(*, record_url: str = "") -> str:
    """Where the stamp's QR code leads: the document's public record when the caller has one
    (a dossier result's, given by the dossiers app), else the upload page."""
    return record_url or settings.SITE_URL.rstrip("/") + reverse("signing:verify")


def pdf_sign(
    *,
    pdf: bytes,
    identity_id: int,
    reason: str = "",
    location: str = "",
    visible: bool = True,
    field_name: str | None = None,
    timestamper: timestamps.TimeStamper | None = None,
    record_url: str = "",
) -> bytes:
    """The PDF with one more signature by the identity; raises ValidationError on a bad PDF.

    ``timestamper`` overrides the TSA of the settings (tests pass an in-process one);
    ``record_url`` (absolute) is where the stamp's QR code leads, the upload page when empty.
    """
    identity = SigningIdentity.objects.select_related("agency").get(pk=identity_id, is_active=True)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        existing = list(fields.enumerate_sig_fields(writer, filled_status=None))
        last_page = writer.root["/Pages"]["/Count"] - 1
        media_box = writer.find_page_for_modification(last_page)[0].get_object()
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("Tệp PDF bị hỏng hoặc không đọc được."), code="bad_pdf") from exc
    if writer.prev.encrypted:
        raise ValidationError(_("Không ký được tệp PDF đã mã hóa."), code="encrypted_pdf")

    name = field_name or f"Signature{len(existing) + 1}"
    timestamper = timestamper or _timestamper()
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=identity.display_name,
        use_pades_lta=False,
        embed_validation_info=bool(settings.SIGNING_PADES_LT),
        validation_context=_validation_context() if settings.SIGNING_PADES_LT else None,
    )
    signer_args: dict = {"signature_meta": meta, "timestamper": timestamper}
    now = timezone.localtime()
    text_params = {}
    if visible:
        box = media_box.get("/MediaBox") or [0, 0, 595, 842]
        page_width = float(box[2]) - float(box[0])
        visible_count = sum(1 for _n, _v, f in existing if f.get_object().get("/Rect") not in (None, [0, 0, 0, 0]))
        signer_args["new_field_spec"] = fields.SigFieldSpec(
            sig_field_name=name, on_page=last_page, box=stamp_box(page_width=page_width, index=visible_count)
        )
        signer_args["stamp_style"] = stamp_style()
        url = verify_url(record_url=record_url)
        text_params = {
            "url": url,
            "line1": _("Ký bởi: %(name)s") % {"name": identity.display_name},
            "line2": _("Cơ quan: %(agency)s") % {"agency": identity.agency.name},
            "line3": _("Thời gian ký: %(time)s") % {"time": date_format(now, "d/m/Y H:i:s")},
            "line4": _("Kiểm tra tại: %(url)s") % {"url": url},
        }
    else:
        signer_args["new_field_spec"] = fields.SigFieldSpec(sig_field_name=name)
    backend = backend_for(identity)
    try:
        return call_sync(backend.sign_pdf, writer=writer, signer_args=signer_args, text_params=text_params)
    except SigningError as exc:
        # B-LT validates the signer's chain before signing: a revoked certificate, or one whose
        # chain does not reach the trust store, must not produce a signature.
        if isinstance(exc.__cause__, PathBuildingError | PathValidationError):
            raise ValidationError(
                _("Chứng thư số của người ký đã bị thu hồi hoặc không dẫn tới kho tin cậy: không ký được."),
                code="signer_invalid",
            ) from exc
        raise
