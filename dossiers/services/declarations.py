"""The e-form is the declaration (tờ khai): never asked for twice (issue 19).

A document component marked ``from_form`` in the catalogue is the declaration the applicant
already made on the online form. On submission the portal renders it to PDF from the answers,
in the layout of that procedure's form where a template exists (``declarations/<code>.html``),
else in a generic layout with the schema's sections and labels, and attaches it as that
component. The applicant never uploads it; officers see it with the other documents; the
national sync message counts it as digitised (it was born digital).

Rendering happens in the ``pdf`` queue, first step of the submission's pipeline (before the
acknowledgement, which lists it), and is idempotent: a component that already has its current
declaration is left alone.
"""

import hashlib
import logging

from django.db import transaction
from django.template.loader import select_template
from django.utils import timezone

from dossiers.constants import DocumentSource
from dossiers.models import Dossier, DossierDocument
from dossiers.pdf import render_pdf
from dossiers.services.documents import InspectedFile, sanitise_filename, stored_document_create
from dossiers.services.slips import slip_place
from procedures import selectors as procedure_selectors

logger = logging.getLogger(__name__)

GENERIC_TEMPLATE = "declarations/generic.html"


def declaration_template(procedure_code: str) -> str:
    """The procedure's own declaration layout, or the generic one."""
    return select_template([f"declarations/{procedure_code}.html", GENERIC_TEMPLATE]).template.name


def declaration_context(dossier: Dossier, requirement) -> dict:
    version = dossier.procedure_version
    sections = procedure_selectors.form_answers_present(version.form_schema, dossier.form_data)
    answers = {
        entry["name"]: entry["display"]
        for section in sections
        if not section["repeating"]
        for row in section["rows"]
        for entry in row
    }
    submitted = timezone.localtime(dossier.submitted_at or timezone.now())
    return {
        "title": requirement.name,
        "procedure_name": version.name,
        "procedure_code": dossier.procedure.code,
        "agency_name": dossier.receiving_agency.name,
        "code": dossier.code,
        "applicant_name": dossier.applicant_name,
        "applicant_id_number": dossier.applicant_id_number,
        "applicant_address": dossier.applicant_address,
        "applicant_phone": dossier.applicant_phone,
        "sections": sections,
        "answers": answers,
        "submitted_at": submitted,
        "place": slip_place(),
    }


def dossier_declarations_render(*, dossier_id: int) -> list[int]:
    """Render and attach every declaration the dossier's procedure takes from the form, once.
    Returns the ids of the documents attached now (none when all are there already)."""
    dossier = (
        Dossier.objects.select_related("procedure_version", "procedure", "receiving_agency", "applicant")
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None or not dossier.code:
        return []
    attached = []
    for requirement in dossier.procedure_version.documents.filter(from_form=True):
        if dossier.documents.filter(requirement=requirement, superseded_at__isnull=True).exists():
            continue
        pdf = render_pdf(declaration_template(dossier.procedure.code), declaration_context(dossier, requirement))
        name = sanitise_filename(f"to-khai-{dossier.code}.pdf", mime_type="application/pdf")
        inspected = InspectedFile(
            name=name, mime_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(), content=pdf
        )
        with transaction.atomic():
            # The row lock makes a redelivered task wait, then find the declaration attached.
            locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
            if locked.documents.filter(requirement=requirement, superseded_at__isnull=True).exists():
                continue
            stored = stored_document_create(
                inspected=inspected,
                owner=dossier.applicant,
                organisation=dossier.organisation,
                title=requirement.name,
                source=DocumentSource.FORM,
            )
            document = DossierDocument.objects.create(
                dossier=locked,
                requirement=requirement,
                component_name=requirement.name,
                stored=stored,
                is_original=requirement.originals > 0,
                copies=max(requirement.originals, requirement.copies, 1),
                added_by=None,
                # Born digital: the national sync message counts it as digitised (DuocSoHoa).
                digitised_at=timezone.now(),
            )
        attached.append(document.pk)
    return attached
