"""Slips as stored PDFs: one row per slip, rendered once (tasks call this)."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from dossiers import selectors
from dossiers.constants import INTERNAL_SLIP_KINDS, SlipKind
from dossiers.models import Dossier, Slip
from dossiers.pdf import qr_data_uri, render_pdf
from portal.storage import files_kept_only_if_committed
from signing.selectors import agency_has_seal

TEMPLATES = {SlipKind.ACKNOWLEDGEMENT: "slips/ack.html"}


def tracking_url(dossier: Dossier) -> str:
    return f"{settings.SITE_URL}{reverse('dossiers:track')}?code={dossier.code}"


def slip_download_name(slip) -> str:
    """A download name people can read: what the paper is, then the dossier code intact
    (``giay-tiep-nhan-ho-so-va-hen-tra-ket-qua-000.00.12.H48-261122-0001.pdf``), never the
    storage's name with its collision suffix."""
    title = str(slip.get_kind_display()).replace("đ", "d").replace("Đ", "D")
    number = f"-{slip.number}" if slip.number and slip.number > 1 else ""
    return f"{slugify(title)[:60].strip('-')}-{slip.dossier.code}{number}.pdf"


def slip_place() -> str:
    """The place in a slip's date line: the province without its administrative prefix."""
    province = settings.PORTAL_PROVINCE
    for prefix in ("Thành phố ", "Tỉnh "):
        province = province.removeprefix(prefix)
    return province


def _ack_context(dossier: Dossier, pin: str | None) -> dict:
    version = dossier.procedure_version
    agency = dossier.receiving_agency
    expected_due = selectors.dossier_expected_due(dossier=dossier)
    documents = [
        {
            "component_name": d.component_name,
            "file_name": d.stored.name,
            "is_original": d.is_original,
            "copies": d.copies,
        }
        for d in dossier.documents.filter(superseded_at__isnull=True).select_related("stored")
    ]
    return {
        "agency_name": agency.name,
        "parent_agency_name": agency.parent.name if agency.parent_id else "",
        "code": dossier.code,
        "pin": pin,
        "procedure_name": version.name,
        "procedure_code": dossier.procedure.code,
        "applicant_name": dossier.applicant_name,
        "organisation_name": dossier.organisation.name if dossier.organisation_id else "",
        "submitted_at": timezone.localtime(dossier.submitted_at),
        "issued_at": timezone.localtime(dossier.submitted_at),
        "place": slip_place(),
        "expected_due": timezone.localtime(expected_due),
        "documents": documents,
        "qr": qr_data_uri(tracking_url(dossier)),
        "tracking_url": tracking_url(dossier),
    }


# Slips released to the applicant, which the agency seal signs once rendered (forms 01 to 04,
# the stop notice and the acknowledgement); the control sheet and the register stay internal.
SEALED_SLIP_KINDS = frozenset(
    {
        SlipKind.ACKNOWLEDGEMENT,
        SlipKind.RECEIPT,
        SlipKind.SUPPLEMENT,
        SlipKind.REFUSAL,
        SlipKind.APOLOGY,
        SlipKind.STOP_NOTICE,
    }
)


def _seal_pending(slip: Slip) -> bool:
    return bool(slip.file) and slip.kind in SEALED_SLIP_KINDS and not (slip.context or {}).get("signed_sha256")


def slips_for_viewer(*, user, dossier: Dossier, slips=None) -> list[Slip]:
    """The dossier's slips this user may see (an internal one only for the receiving agency's
    officers), each with ``awaiting_seal``: True while the agency seal's signature
    of a released slip has not landed yet and the viewer is not one of the agency's officers.
    The applicant gets the slip only once sealed (seconds after rendering, in the signing
    queue); an agency without an active seal releases its slips unsigned, at once."""
    slips = list(selectors.dossier_slips(dossier=dossier) if slips is None else slips)
    if any(slip.kind in INTERNAL_SLIP_KINDS for slip in slips) and not selectors.dossier_agency_officer_can_view(
        user=user, dossier=dossier
    ):
        # The agency's internal slips (the control sheet) are never listed for anyone else.
        slips = [slip for slip in slips if slip.kind not in INTERNAL_SLIP_KINDS]
    pending = [slip for slip in slips if _seal_pending(slip)]
    held = bool(pending) and not selectors.dossier_officer_can_view(user=user, dossier=dossier)
    held = held and agency_has_seal(agency_id=dossier.receiving_agency_id)
    for slip in slips:
        slip.awaiting_seal = held and slip in pending
    return slips


def acknowledgement_ready_to_mail(slip: Slip) -> bool:
    """The acknowledgement may be mailed: rendered and, when the agency has a seal, sealed.
    (Otherwise the pipeline mails it after the seal: `dossiers.core.pipelines`.)"""
    if not slip.file:
        return False
    return not (_seal_pending(slip) and agency_has_seal(agency_id=slip.dossier.receiving_agency_id))


def slip_awaiting_seal(*, user, slip: Slip) -> bool:
    """Whether this slip is held back from this user until the agency seal signs it."""
    if not _seal_pending(slip):
        return False
    checked = slips_for_viewer(user=user, dossier=slip.dossier, slips=[slip])
    return bool(checked) and checked[0].awaiting_seal


def slip_render_acknowledgement(*, dossier_id: int, pin: str | None = None) -> Slip | None:
    """Render the submission acknowledgement once; a second call returns the same slip."""
    dossier = (
        Dossier.objects.select_related("procedure", "procedure_version", "receiving_agency__parent", "organisation")
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None or not dossier.code:
        return None
    slip, _created = Slip.objects.get_or_create(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT, number=1)
    if slip.file:
        return slip
    pdf = render_pdf(TEMPLATES[SlipKind.ACKNOWLEDGEMENT], _ack_context(dossier, pin))
    with files_kept_only_if_committed() as track, transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip.pk)
        if not locked.file:
            locked.file.save(f"xac-nhan-{dossier.code}.pdf", ContentFile(pdf), save=False)
            track(locked.file)
            locked.rendered_at = timezone.now()
            locked.save(update_fields=["file", "rendered_at"])
        locked.dossier = dossier  # the caller reads its agency: no second read
        return locked
