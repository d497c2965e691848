"""Result documents (kết quả giải quyết) generated from the template instead of uploaded.

When the specialist proposes with ``generate``, the draft ``DossierResult`` has no file yet
and ``dossiers.tasks.render_result`` renders it in the ``pdf`` queue: the decision granting
the procedure or, for a proposal to decline, the agency's reply refusing it with the reason
the specialist gave. The PDF is stored as an entry of the proposing officer's store (source
"result", with the result's code ``<dossier code>-KQ<n>``) and becomes the result's file; the
leader can approve only once it is there. Rendering twice stores nothing new.
"""

import hashlib
import logging

from django.db import transaction
from django.template.loader import select_template
from django.utils import timezone

from dossiers.constants import DocumentSource, Outcome, ResultStatus
from dossiers.models import DossierEvent, DossierResult
from dossiers.pdf import qr_data_uri, render_pdf
from dossiers.services.documents import InspectedFile, sanitise_filename, stored_document_create
from dossiers.services.slips import slip_place, tracking_url
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from procedures import selectors as procedure_selectors

TEMPLATE = "slips/result.html"

logger = logging.getLogger(__name__)


def _proposal(result: DossierResult) -> DossierEvent | None:
    """The proposal (event "propose") that created this result."""
    return (
        DossierEvent.objects.filter(dossier_id=result.dossier_id, action="propose", payload__result=result.code)
        .order_by("-seq")
        .first()
    )


def _context(result: DossierResult) -> dict:
    dossier = result.dossier
    agency = dossier.receiving_agency
    proposal = _proposal(result)
    recommendation = (proposal.payload or {}).get("recommendation") if proposal is not None else None
    declined = (recommendation or dossier.outcome) == Outcome.DECLINED
    url = tracking_url(dossier)
    sections = procedure_selectors.form_answers_present(dossier.procedure_version.form_schema, dossier.form_data)
    return {
        "declined": declined,
        # The reason written for the applicant; a proposal made before the two were told apart
        # kept it in its note.
        "reason": (proposal.payload.get("reason") or proposal.note) if proposal is not None and declined else "",
        "title": result.title,
        "result_code": result.code,
        "number": result.number,
        "code": dossier.code,
        "agency_name": agency.name,
        "parent_agency_name": agency.parent.name if agency.parent_id else "",
        "agency_address": agency.address,
        "issued_at": timezone.localtime(result.created_at),
        "place": slip_place(),
        "procedure_name": dossier.procedure_version.name,
        "procedure_code": dossier.procedure.code,
        "applicant_name": dossier.applicant_name,
        "applicant_address": dossier.applicant_address,
        "applicant_id_number": dossier.applicant_id_number,
        "organisation_name": dossier.organisation.name if dossier.organisation_id else "",
        "received_at": timezone.localtime(dossier.received_at) if dossier.received_at else None,
        "tracking_url": url,
        "qr": qr_data_uri(url),
        # What was declared, by field name, as read with the form's labels: a procedure's own
        # result template (results/<code>.html) names the child of a birth certificate, say.
        "answers": {
            entry["name"]: entry["display"]
            for section in sections
            if not section["repeating"]
            for row in section["rows"]
            for entry in row
        },
        # A repeating group (the places of residence, the members of a household business), by
        # its name: one dict per item, read the same way.
        "answer_groups": {
            section["key"]: [{entry["name"]: entry["display"] for entry in row} for row in section["rows"]]
            for section in sections
            if section["repeating"]
        },
        # The stored values, for what a template formats itself (amounts: {% load money %}).
        "declared": dict(dossier.form_data or {}),
        "signer_title": agency.signer_title,
        "signer_name": _signer_name(agency),
    }


def _signer_name(agency) -> str:
    """The name printed under the signature: the agency's set signer, else its only leader who
    may approve (several leaders: the line is left for the one who signs to be read from the
    digital signature)."""
    if agency.signer_name:
        return agency.signer_name
    leaders = list(
        portal_selectors.users_with_permission(agency_id=agency.pk, permission=OfficerPermission.APPROVE)[:2]
    )
    return (leaders[0].full_name or "") if len(leaders) == 1 else ""


def result_template(procedure_code: str) -> str:
    """The procedure's own result layout (``results/<code>.html``), or the generic decision."""
    return select_template([f"results/{procedure_code}.html", TEMPLATE]).template.name


def _owner(result: DossierResult):
    # The draft belongs to the officer who proposed it; should that account be gone, to the
    # specialist now holding the dossier (a stored document must have an owner).
    return result.created_by or result.dossier.assigned_to


def result_render(*, result_id: int) -> DossierResult | None:
    """Render the draft result ``result_id`` from the template and attach it, once.

    Does nothing (returns the result as it is) when the result already has its file or has
    been voided meanwhile (the proposal was sent back); None for an unknown result.
    """
    result = (
        DossierResult.objects.select_related(
            "created_by",
            "dossier__procedure",
            "dossier__procedure_version",
            "dossier__receiving_agency__parent",
            "dossier__organisation",
            "dossier__assigned_to",
        )
        .filter(pk=result_id)
        .first()
    )
    if result is None or result.stored_id is not None or result.status == ResultStatus.VOID:
        return result
    owner = _owner(result)
    if owner is None:
        logger.warning("Result %s has no officer to own its generated draft; not rendered.", result.code)
        return result
    pdf = render_pdf(result_template(result.dossier.procedure.code), _context(result))
    with transaction.atomic():
        locked = DossierResult.objects.select_for_update().get(pk=result.pk)
        if locked.stored_id is not None or locked.status == ResultStatus.VOID:
            return locked
        inspected = InspectedFile(
            name=sanitise_filename(f"{locked.code}.pdf", mime_type="application/pdf"),
            mime_type="application/pdf",
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            content=pdf,
        )
        locked.stored = stored_document_create(
            inspected=inspected,
            owner=owner,
            title=locked.title,
            source=DocumentSource.RESULT,
            result_code=locked.code,
        )
        locked.save(update_fields=["stored"])
    return locked
