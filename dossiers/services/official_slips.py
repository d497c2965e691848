"""The official slips of Circular 01/2018/TT-VPCP issued at reception: forms 01, 02 and 03.

A transition of the workflow engine that issues a slip (``TRANSITION_SLIPS``) enqueues
``dossiers.tasks.render_slip`` on commit with the sequence number of its event. The slip row
is keyed by (dossier, kind, event seq): a task that runs twice finds the same row and renders
nothing new. ``number`` counts the slips of that kind of the dossier (1 for the first form 02,
2 for the second, ...), as the unique constraint requires.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dossiers.constants import SlipKind
from dossiers.models import Dossier, DossierEvent, Slip
from dossiers.pdf import qr_data_uri, render_pdf
from dossiers.services.slips import slip_place, tracking_url

TEMPLATES = {
    SlipKind.RECEIPT: "slips/form01.html",
    SlipKind.SUPPLEMENT: "slips/form02.html",
    SlipKind.REFUSAL: "slips/form03.html",
}
FILE_PREFIX = {
    SlipKind.RECEIPT: "mau-01-tiep-nhan",
    SlipKind.SUPPLEMENT: "mau-02-yeu-cau-bo-sung",
    SlipKind.REFUSAL: "mau-03-tu-choi",
}
# The workflow transitions (by name) that issue an official slip.
TRANSITION_SLIPS = {
    "receive": SlipKind.RECEIPT,
    "request_supplement": SlipKind.SUPPLEMENT,
    "refuse": SlipKind.REFUSAL,
}


def slip_enqueue_for_transition(*, dossier_id: int, action: str, event_seq: int) -> None:
    """Called on commit of a transition: enqueue the slip it issues, if any (pdf queue)."""
    kind = TRANSITION_SLIPS.get(action)
    if kind is None:
        return
    from dossiers import tasks

    tasks.render_slip.apply_async(args=[dossier_id, str(kind), event_seq], queue="pdf")


def _register_number(code: str) -> str:
    """Số of the slip: the dossier's sequence, the last part of its code (``...-0042`` → ``0042``)."""
    return code.rsplit("-", 1)[-1] if code else ""


def _documents(dossier: Dossier) -> list[dict]:
    return [
        {"name": d.component_name, "is_original": d.is_original, "copies": d.copies}
        for d in dossier.documents.filter(superseded_at__isnull=True).order_by("requirement__order", "pk")
    ]


def _supplement_items(dossier: Dossier, payload: dict) -> list[dict]:
    version = dossier.procedure_version
    requirements = {r.pk: r.name for r in version.documents.all()}
    fields = {f.get("name"): f.get("label") or f.get("name") for f in (version.form_schema or {}).get("fields", [])}
    items = []
    raw_items = payload.get("items") if isinstance(payload.get("items"), list) else []
    for raw in raw_items:
        if not isinstance(raw, dict):
            continue
        requirement_id = raw.get("requirement_id")
        label = requirements.get(requirement_id) if isinstance(requirement_id, int) else None
        if not label and raw.get("field"):
            label = fields.get(raw["field"])
        items.append({"label": label or "Nội dung khác", "reason": str(raw.get("reason") or "")})
    return items


def _context(dossier: Dossier, kind: str, event: DossierEvent, number: int) -> dict:
    version = dossier.procedure_version
    agency = dossier.receiving_agency
    officer = event.actor
    officer_name = (officer.get_full_name() if officer is not None else "") or event.actor_label
    payload = event.payload or {}
    url = tracking_url(dossier)
    context = {
        "kind": kind,
        "number": number,
        "register_number": _register_number(dossier.code),
        "agency_name": agency.name,
        "parent_agency_name": agency.parent.name if agency.parent_id else "",
        "agency_address": agency.address,
        "agency_phone": agency.phone,
        "issued_at": timezone.localtime(event.created_at),
        "place": slip_place(),
        "code": dossier.code,
        "procedure_name": version.name,
        "procedure_code": dossier.procedure.code,
        "applicant_name": dossier.applicant_name,
        "applicant_address": dossier.applicant_address,
        "applicant_phone": dossier.applicant_phone,
        "applicant_email": dossier.applicant_email,
        "organisation_name": dossier.organisation.name if dossier.organisation_id else "",
        "officer_name": officer_name,
        "tracking_url": url,
        "qr": qr_data_uri(url),
    }
    if kind == SlipKind.RECEIPT:
        context.update(
            documents=_documents(dossier),
            received_at=timezone.localtime(dossier.received_at) if dossier.received_at else None,
            due_at=timezone.localtime(dossier.due_at) if dossier.due_at else None,
            result_place=version.result_place,
            fees=[
                {"description": f.description, "amount": f"{f.amount:,}".replace(",", ".")} for f in version.fees.all()
            ],
            channel=dossier.get_channel_display(),
        )
    elif kind == SlipKind.SUPPLEMENT:
        context.update(items=_supplement_items(dossier, payload), note=event.note)
    elif kind == SlipKind.REFUSAL:
        context.update(reason=str(payload.get("reason") or event.note))
    return context


def slip_render(*, dossier_id: int, kind: str, event_seq: int) -> Slip | None:
    """Render form 01, 02 or 03 for the dossier's event ``event_seq``, once.

    Idempotent: a second call for the same (dossier, kind, event seq) returns the same slip and
    renders nothing. Returns None for an unknown dossier or event, or a kind without a template.
    """
    kind = SlipKind(kind)
    if kind not in TEMPLATES:
        return None
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier_id).first()
        if dossier is None:
            return None
        slip = Slip.objects.filter(dossier=dossier, kind=kind, event_seq=event_seq).first()
        if slip is None:
            if not DossierEvent.objects.filter(dossier=dossier, seq=event_seq).exists():
                return None
            number = Slip.objects.filter(dossier=dossier, kind=kind).count() + 1
            slip = Slip.objects.create(dossier=dossier, kind=kind, number=number, event_seq=event_seq)
    if slip.file:
        return slip
    dossier = Dossier.objects.select_related(
        "procedure", "procedure_version", "receiving_agency__parent", "organisation"
    ).get(pk=dossier_id)
    event = DossierEvent.objects.select_related("actor").get(dossier=dossier, seq=event_seq)
    pdf = render_pdf(TEMPLATES[kind], _context(dossier, kind, event, slip.number))
    with transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip.pk)
        if not locked.file:
            suffix = f"-{locked.number}" if locked.number > 1 else ""
            locked.file.save(f"{FILE_PREFIX[kind]}-{dossier.code}{suffix}.pdf", ContentFile(pdf), save=False)
            locked.rendered_at = timezone.now()
            locked.save(update_fields=["file", "rendered_at"])
        return locked
