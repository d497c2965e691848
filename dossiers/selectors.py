"""Reads of the dossiers app: who may see which dossier, and the lists they see."""

import dataclasses
import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from dossiers.constants import INTERNAL_SLIP_KINDS, DossierState, ResultStatus
from dossiers.core import pins
from dossiers.core.access import applicant_scope, dossier_applicant_can_view, organisation_ids
from dossiers.core.fees import fees_before_result as dossier_fees_before_result  # noqa: F401 (public face)
from dossiers.core.machine import consultations_open_for_officer, dossier_due_soon_or_late, hand_over_agencies  # noqa: F401
from dossiers.models import (
    Consultation,
    Dossier,
    DossierDelivery,
    DossierResult,
    Payment,
    SavedFilter,
    Slip,
    StoredDocument,
)
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from portal.metrics import scrape_gauge_register
from portal.national_data import SOURCE_LABELS
from procedures import selectors as procedure_selectors
from signing import selectors as signing_selectors

# Compared against when a code is unknown, so that an unknown code and a wrong PIN
# take the same time (no oracle for which codes exist).
_DUMMY_PIN_HASH = pins.PREFIX + "0" * 64


def dossiers_for_applicant(*, user, include_drafts: bool = True) -> QuerySet[Dossier]:
    """The user's own dossiers and those of the organisations it is a member of now."""
    if not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    qs = Dossier.objects.filter(applicant_scope(user))
    if not include_drafts:
        qs = qs.exclude(state=DossierState.DRAFT)
    return qs.select_related("procedure", "procedure_version", "receiving_agency", "organisation").order_by(
        "-updated_at", "-pk"
    )


def dossier_agency_officer_can_view(*, user, dossier: Dossier) -> bool:
    """Officers of the receiving agency: the whole dossier, internal notes included; and of the
    Public Administration Service Centre that received it and handed it over (it returns the result)."""
    return any(
        portal_selectors.officer_can(user=user, agency_id=agency_id, permission=OfficerPermission.VIEW_DOSSIERS)
        for agency_id in (dossier.receiving_agency_id, dossier.reception_centre_id)
        if agency_id is not None
    )


def _consulted_agency_ids(*, user, dossier: Dossier) -> list[int]:
    """The user's agencies whose opinion was asked on the dossier (liên thông)."""
    agency_ids = portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.VIEW_DOSSIERS)
    if not agency_ids:
        return []
    return list(
        Consultation.objects.filter(dossier=dossier, agency_id__in=agency_ids)
        .values_list("agency_id", flat=True)
        .distinct()
    )


def dossier_officer_can_view(*, user, dossier: Dossier) -> bool:
    """Officers of the receiving agency, and of an agency whose opinion was asked (liên thông) —
    the latter only what it was sent (``dossier_consulted_only``)."""
    return dossier_agency_officer_can_view(user=user, dossier=dossier) or bool(
        _consulted_agency_ids(user=user, dossier=dossier)
    )


def dossier_consulted_only(*, user, dossier: Dossier) -> bool:
    """An officer who sees the dossier only as a consulted agency: the questions sent to its
    agency and the documents shared with them, not the rest of the dossier."""
    return not dossier_agency_officer_can_view(user=user, dossier=dossier) and bool(
        _consulted_agency_ids(user=user, dossier=dossier)
    )


def dossier_consultations_for_officer(*, user, dossier: Dossier) -> QuerySet[Consultation]:
    """The consultations an officer sees: all of them for the receiving agency, those sent to its
    agencies for a consulted agency."""
    consultations = dossier_consultations(dossier=dossier)
    if dossier_agency_officer_can_view(user=user, dossier=dossier):
        return consultations
    return consultations.filter(agency_id__in=_consulted_agency_ids(user=user, dossier=dossier))


def dossier_documents_for_viewer(*, user, dossier: Dossier):
    """The documents the viewer may see: the current ones for the applicant and the receiving
    agency; for a consulted agency, those the consultations sent to it shared."""
    if not dossier_consulted_only(user=user, dossier=dossier):
        return dossier_documents(dossier=dossier)
    return (
        dossier.documents.filter(consultations__in=dossier_consultations_for_officer(user=user, dossier=dossier))
        .distinct()
        .select_related("stored", "requirement")
        .order_by("requirement__order", "pk")
    )


def dossier_can_view(*, user, dossier: Dossier) -> bool:
    """The whole dossier: the applicant (or a member of its organisation now) and the receiving agency."""
    return dossier_applicant_can_view(user=user, dossier=dossier) or dossier_agency_officer_can_view(
        user=user, dossier=dossier
    )


def dossier_get_for_user(
    *, user, code: str | None = None, pk: int | None = None, consulted: bool = False
) -> Dossier | None:
    """The dossier if the user may see it (applicant, organisation member or officer of the
    receiving agency), else None. ``consulted=True``: also for an officer of a consulted agency,
    for the doors that show it only what it was sent (``dossier_consulted_only``)."""
    qs = Dossier.objects.select_related("procedure", "procedure_version", "receiving_agency", "organisation")
    if code:
        dossier = qs.filter(code=code).first()
    elif pk:
        dossier = qs.filter(pk=pk).first()
    else:
        return None
    if dossier is None:
        return None
    if dossier_can_view(user=user, dossier=dossier):
        return dossier
    if consulted and _consulted_agency_ids(user=user, dossier=dossier):
        return dossier
    return None


def dossier_check_pin(*, code: str, pin: str) -> Dossier | None:
    """Public tracking with a PIN: the dossier when code and PIN match, else None.

    Takes the same time whether the code is unknown or the PIN is wrong.
    """
    dossier = (
        Dossier.objects.select_related("procedure", "receiving_agency").filter(code=code).first()
        if code and len(code) <= 48
        else None
    )
    ok = pins.pin_check(pin or "", dossier.tracking_pin_hash if dossier else _DUMMY_PIN_HASH)
    return dossier if dossier is not None and ok else None


def dossier_expected_due(*, dossier: Dossier):
    """The appointment a submitted dossier can expect if it is received as it is: its time counts
    from the next working moment after submission (an out-of-hours filing from the next working
    period). The official one is set at reception and printed on form 01."""
    if dossier.submitted_at is None:
        return None
    agency = dossier.receiving_agency
    start = procedure_selectors.next_working_moment(agency=agency, moment=dossier.submitted_at)
    return procedure_selectors.version_due_datetime(version=dossier.procedure_version, agency=agency, received_at=start)


def dossier_answers(*, dossier: Dossier) -> list[dict]:
    """What the applicant declared, read with the labels and sections of the dossier's procedure
    version's form (``procedures.form_answers``): for the officer's page, the API and slips.
    Only for the applicant and the receiving agency: a consulted agency does not see it.

    An answer a national database gave carries ``source_label``; one the applicant corrected
    (once-only, with a reason) also ``correction``: ``{"original", "reason"}``."""
    sections = procedure_selectors.form_answers_present(dossier.procedure_version.form_schema, dossier.form_data)
    sources, corrections = dossier.form_sources or {}, dossier.form_corrections or {}
    if sources:
        for section in sections:
            if section.get("repeating"):
                continue
            for row in section["rows"]:
                for entry in row:
                    if entry["name"] in sources:
                        entry["source_label"] = str(SOURCE_LABELS.get(sources[entry["name"]], sources[entry["name"]]))
                        correction = corrections.get(entry["name"])
                        if isinstance(correction, dict):
                            entry["correction"] = {
                                "original": correction.get("original"),
                                "reason": correction.get("reason", ""),
                            }
    return sections


def dossier_documents(*, dossier: Dossier):
    return (
        dossier.documents.filter(superseded_at__isnull=True)
        .select_related("stored", "requirement")
        .order_by("requirement__order", "pk")
    )


def dossier_timeline(*, dossier: Dossier):
    return dossier.events.order_by("seq")


def dossier_slips(*, dossier: Dossier) -> QuerySet[Slip]:
    return dossier.slips.exclude(file="").order_by("created_at")


def slip_can_view(*, user, slip: Slip) -> bool:
    """Who may download a slip: whoever sees the whole dossier (the applicant and the receiving
    agency's officers); an internal slip (``INTERNAL_SLIP_KINDS``: the control sheet) only the
    receiving agency's officers."""
    if slip.kind in INTERNAL_SLIP_KINDS:
        return dossier_agency_officer_can_view(user=user, dossier=slip.dossier)
    return dossier_can_view(user=user, dossier=slip.dossier)


def stored_documents_for_user(*, user) -> QuerySet[StoredDocument]:
    """The user's document store: its own files and those of the organisations it is a member of
    now (a file it uploaded for an organisation is the organisation's, not its own)."""
    return StoredDocument.objects.filter(
        Q(owner=user, organisation__isnull=True) | Q(organisation_id__in=organisation_ids(user))
    ).order_by("-created_at")


def stored_document_can_download(*, user, stored: StoredDocument) -> bool:
    """A member of the owning organisation now, the owner of a personal file, an officer of the
    receiving agency of a dossier holding it (a document, a result, the e-receipt of a fee paid
    for it), or of an agency consulted with it shared.

    A file uploaded for an organisation is the organisation's: the member who uploaded it loses
    it with its membership (its own personal copy, if any, is another file and stays its own).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if stored.organisation_id:
        if stored.organisation_id in organisation_ids(user):
            return True
    elif stored.owner_id == user.pk:
        return True
    agency_ids = portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.VIEW_DOSSIERS)
    if not agency_ids:
        return False
    # Officers of the receiving agency; a consulted agency only the documents shared with it (no results).
    # A centre that handed the dossier over keeps it (it returns the result).
    received = Q(dossier__receiving_agency_id__in=agency_ids) | Q(dossier__reception_centre_id__in=agency_ids)
    shared = Q(consultations__agency_id__in=agency_ids)
    return (
        stored.dossier_uses.filter(received | shared).exists()
        or stored.results.filter(received).exists()
        or Payment.objects.filter(Q(receipt=stored) & received).exists()
    )


# --- processing -------------------------------------------------------------------------------


def dossier_consultations(*, dossier: Dossier) -> QuerySet[Consultation]:
    return dossier.consultations.select_related("agency", "requested_by", "answered_by").order_by("pk")


def dossier_steps(*, dossier: Dossier):
    return dossier.steps.select_related("assignee", "handed_by", "agency").order_by("seq")


def dossier_results(*, dossier: Dossier, published_only: bool = False) -> QuerySet[DossierResult]:
    qs = dossier.results.select_related("stored").exclude(status="void").order_by("number")
    return qs.filter(published_at__isnull=False) if published_only else qs


# --- the choices of an action's fields (the page's selects and the API's ``choices``) -------------
#
# One definition per kind of field, read by the page, by the API's ``available_actions`` and by
# the service that checks what was sent: what is offered is what is accepted.


def officers_for_assignment(*, user, dossier: Dossier) -> QuerySet:
    """The specialists ``user`` may assign the dossier to: those of the receiving agency, or of
    the user's own departments when its assigning roles there each belong to one (a department
    head assigns within its department; a leader, across the agency)."""
    agency_id = dossier.receiving_agency_id
    departments = portal_selectors.officer_department_ids(
        user=user, agency_id=agency_id, permission=OfficerPermission.ASSIGN
    )
    return portal_selectors.users_with_permission(
        agency_id=agency_id, permission=OfficerPermission.PROCESS, department_ids=departments
    ).order_by("full_name", "email", "pk")


def departments_for_assignment(*, user, dossier: Dossier) -> QuerySet:
    """The departments (phòng) of the receiving agency ``user`` may hand the dossier to: its own
    when its assigning roles each belong to one, else every department of the agency."""
    agency_id = dossier.receiving_agency_id
    departments = portal_selectors.officer_department_ids(
        user=user, agency_id=agency_id, permission=OfficerPermission.ASSIGN
    )
    return procedure_selectors.departments_of_agency(agency_id=agency_id, ids=departments)


def agencies_for_consultation(*, dossier: Dossier) -> QuerySet:
    """The agencies whose opinion may be asked on the dossier (liên thông): every active agency
    but the receiving one and those already asked and not yet answering."""
    waiting = dossier.consultations.filter(answered_at__isnull=True).values("agency_id")
    return (
        procedure_selectors.agency_list()
        .select_related(None)
        .exclude(pk=dossier.receiving_agency_id)
        .exclude(pk__in=waiting)
        .order_by("name", "code")
    )


def agencies_for_hand_over(*, dossier: Dossier) -> list:
    """The agencies of the province that decide the dossier's procedure, to which the centre
    that received it may hand it over (empty for any other dossier)."""
    return hand_over_agencies(dossier)


def _officer_label(user) -> str:
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


# The kinds of action field whose values are picked from a list the portal gives.
CHOICE_FIELD_TYPES = ("officer", "department", "agency")


def action_field_choices(*, user, dossier: Dossier, kind: str, source: str = "") -> list[dict]:
    """``[{value, label}]`` a field of type ``kind`` (officer, department, agency) takes, for
    ``user``; ``source`` names another list of that kind (``hand_over``: the deciding agencies)."""
    if kind == "agency" and source == "hand_over":
        return [{"value": a.code, "label": a.name} for a in agencies_for_hand_over(dossier=dossier)]
    if kind == "officer":
        return [
            {"value": str(u.pk), "label": _officer_label(u)}
            for u in officers_for_assignment(user=user, dossier=dossier).only("pk", "full_name", "email")
        ]
    if kind == "department":
        return [{"value": str(d.pk), "label": d.name} for d in departments_for_assignment(user=user, dossier=dossier)]
    if kind == "agency":
        return [
            {"value": a.code, "label": a.name}
            for a in agencies_for_consultation(dossier=dossier).only("pk", "code", "name")
        ]
    raise ValueError(kind)


def dossier_results_for_user(*, user, dossier: Dossier) -> list[dict]:
    """The results the user may download: every live result for the agency's officers; the
    published ones for the applicant, pointing at the copy in the applicant's own store."""
    if dossier_agency_officer_can_view(user=user, dossier=dossier):
        return [
            {"code": r.code, "name": r.title, "status": r.status, "document_id": r.stored_id}
            for r in dossier_results(dossier=dossier)
            if r.stored_id
        ]
    if not dossier_applicant_can_view(user=user, dossier=dossier):
        return []
    published = list(dossier_results(dossier=dossier, published_only=True))
    if not published:
        return []
    copies = dict(
        stored_documents_for_user(user=user)
        .filter(result_code__in=[r.code for r in published])
        .values_list("result_code", "pk")
    )
    return [
        {"code": r.code, "name": r.title, "status": r.status, "document_id": copies[r.code]}
        for r in published
        if r.code in copies
    ]


# --- fees, payments, delivery (dossiers.services.payments) --------------------------------------


def dossier_payments(*, dossier: Dossier):
    """The dossier's payment attempts, newest first, with their receipts and refunds."""
    return (
        Payment.objects.filter(dossier=dossier)
        .select_related("receipt")
        .prefetch_related("refunds")
        .order_by("-created_at", "-pk")
    )


def dossier_delivery(*, dossier: Dossier):
    """How the applicant asked to receive the result, or None when it did not say."""
    return DossierDelivery.objects.filter(dossier=dossier).first()


def payment_officer_can_refund(*, user, dossier: Dossier) -> bool:
    return portal_selectors.officer_can(
        user=user, agency_id=dossier.receiving_agency_id, permission=OfficerPermission.RECEIVE
    )


@dataclasses.dataclass(frozen=True)
class ResultRecord:
    """What the public may know of an issued result (``/verify/<code>/``)."""

    code: str
    title: str
    dossier_code: str
    agency: str
    approved_at: dt.datetime | None
    is_void: bool
    sha256: str
    file_size: int
    signatures: list[signing_selectors.SignatureRecord]


def result_record(*, code: str) -> ResultRecord | None:
    """The public record of an issued result, to compare a file against; None for drafts."""
    result = (
        DossierResult.objects.select_related("dossier__receiving_agency", "stored")
        .filter(code=code, stored__isnull=False)
        .exclude(status=ResultStatus.DRAFT)
        .first()
    )
    if result is None:
        return None
    stored = result.stored
    return ResultRecord(
        code=result.code,
        title=result.title,
        dossier_code=result.dossier.code or "",
        agency=result.dossier.receiving_agency.name,
        approved_at=result.approved_at,
        is_void=result.status == ResultStatus.VOID,
        sha256=stored.sha256,
        file_size=stored.size,
        signatures=signing_selectors.document_signatures(stored_document_id=stored.pk),
    )


def dossiers_overdue_count() -> int:
    """Dossiers received or processing past their due time (read over the partial index
    ``dossier_agency_active_due``), for the ``portal_dossiers_overdue`` metric."""
    return Dossier.objects.filter(status_code__in=[2, 4], due_at__lt=timezone.now()).count()


scrape_gauge_register(
    "portal_dossiers_overdue", "Dossiers received or processing past their due time.", dossiers_overdue_count
)


def dossiers_for_officer_by_codes(*, user, codes: list[str]) -> dict[str, Dossier]:
    """The dossiers of ``codes`` received by the agencies where the officer sees dossiers, by
    code (one query; a code elsewhere, or unknown, is absent)."""
    agency_ids = portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.VIEW_DOSSIERS)
    if not agency_ids or not codes:
        return {}
    found = Dossier.objects.filter(code__in=codes, receiving_agency_id__in=agency_ids).select_related(
        "procedure", "procedure_version", "receiving_agency", "assigned_to"
    )
    return {d.code: d for d in found}


def latest_slips(*, dossier_ids: list[int], kind: str) -> dict[int, Slip]:
    """Per dossier, its latest slip of ``kind`` that has a file (one query)."""
    slips: dict[int, Slip] = {}
    for slip in Slip.objects.filter(dossier_id__in=dossier_ids, kind=kind).exclude(file="").order_by("number"):
        slips[slip.dossier_id] = slip
    return slips


def saved_filters_for(*, user, list_name: str) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user, list_name=list_name).order_by("name")
