"""The official slips (phiếu) of the one-stop rules, numbered and titled by the dossier's rule set.

The forms and their numbers belong to the rule set in force when the dossier was received
(``procedures.rulebook``, read through ``procedure_selectors.rule_set_at``): under Circular
01/2018/TT-VPCP 01 receipt, 02 supplement request, 03 refusal, 04 apology, 05 process control
sheet, 06 register; under Circular 03/2025/TT-VPCP (from 15 September 2025) 01 to 04 the same
(04 titled "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"), 05 the notice of
stopping (thông báo dừng giải quyết hồ sơ, new), 06 the control sheet and 07 the dossier log.
Rendering a slip again for an old dossier gives the old form.

A transition of the workflow engine that issues a slip (``TRANSITION_SLIPS``: receive,
request_supplement, refuse, apology, stop) enqueues ``dossiers.tasks.render_slip`` on commit
with the sequence number of its event. The slip row is keyed by (dossier, kind, event seq): a
task that runs twice finds the same row and renders nothing new. ``number`` counts the slips of
that kind of the dossier (1 for the first form 02, 2 for the second, ...), as the unique
constraint requires. A kind the dossier's rule set has no form for (the stop notice of a dossier
received before 15 September 2025) is not issued.

The process control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ) is issued on demand by
an officer who may see the dossier. Its ``event_seq`` is the dossier's event count when it was
asked for: asking again while nothing happened returns the same sheet, asking after a new event
issues the next one. It prints every handover of the dossier's steps (``DossierStep``) as of
that event — the department head's assignment included, even when the workflow template has
no step of its own for it — the consultations and the final result.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import (
    FINAL_STATES,
    SLIP_FORM,
    DossierState,
    Outcome,
    ReturnMethod,
    SlipKind,
    StepOutcome,
    Timeliness,
)
from dossiers.core import pipelines
from dossiers.core.fees import fee_lines
from dossiers.core.machine import TRANSITIONS
from dossiers.core.notes import event_applicant_note
from dossiers.core.steps import ROLE_HEAD, ROLE_SPECIALIST
from dossiers.models import Consultation, Dossier, DossierEvent, DossierStep, Slip
from dossiers.pdf import qr_data_uri, render_pdf
from dossiers.selectors import dossier_officer_can_view
from dossiers.services.slips import slip_place, tracking_url
from portal.storage import files_kept_only_if_committed
from procedures import selectors as procedure_selectors

TEMPLATES = {
    SlipKind.RECEIPT: "slips/form01.html",
    SlipKind.SUPPLEMENT: "slips/form02.html",
    SlipKind.REFUSAL: "slips/form03.html",
    SlipKind.APOLOGY: "slips/form04.html",
    SlipKind.CONTROL_SHEET: "slips/form05.html",
    SlipKind.STOP_NOTICE: "slips/form_stop.html",
}
# The kinds the workflow transitions issue (each row of the table names its slip).
TRANSITION_SLIPS = {t.name: t.slip for t in TRANSITIONS.values() if t.slip}


def dossier_rules(dossier: Dossier) -> procedure_selectors.RuleBook:
    """The rule set the dossier is handled under: the one in force when it was received."""
    return procedure_selectors.rule_set_at(dossier.rules_moment)


def slip_form(dossier: Dossier, kind: str):
    """The form of the dossier's rule set a slip of ``kind`` is (None: the set has no such form)."""
    key = SLIP_FORM.get(kind)
    return dossier_rules(dossier).form(key) if key else None


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
    rules = dossier_rules(dossier)
    context = {
        "kind": kind,
        "rules": rules,
        "form": rules.form(SLIP_FORM[kind]),
        "number": number,
        "register_number": _register_number(dossier.code),
        "agency_name": agency.name,
        "parent_agency_name": agency.parent.name if agency.parent_id else "",
        "reception_centre_name": dossier.reception_centre.name if dossier.reception_centre_id else "",
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
            fees=fee_lines(version=version, form_data=dossier.form_data),
            channel=dossier.get_channel_display(),
        )
    elif kind == SlipKind.SUPPLEMENT:
        # What the slip tells the applicant: the message written to it, never an internal note.
        context.update(items=_supplement_items(dossier, payload), note=event_applicant_note(event))
    elif kind == SlipKind.REFUSAL:
        context.update(reason=str(payload.get("reason") or event_applicant_note(event)))
    elif kind == SlipKind.APOLOGY:
        # The event's payload, not the dossier: the letter states the dates as they were then.
        context.update(
            reason=str(payload.get("reason") or event_applicant_note(event)),
            received_at=_local(dossier.received_at),
            original_due_at=_local(_parse(payload.get("original_due_at")) or dossier.original_due_at),
            new_due_at=_local(_parse(payload.get("new_due_at")) or dossier.due_at),
            result_place=version.result_place,
        )
    elif kind == SlipKind.STOP_NOTICE:
        context.update(
            reason=str(payload.get("reason") or event_applicant_note(event)),
            received_at=_local(dossier.received_at),
            due_at=_local(dossier.due_at),
            stopped_at=_local(event.created_at),
        )
    return context


def _parse(value) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def slip_render(*, dossier_id: int, kind: str, event_seq: int) -> Slip | None:
    """Render the slip of a transition (receipt, supplement request, refusal, apology, stop
    notice) for the dossier's event ``event_seq``, once, as its rule set numbers it.

    Idempotent: a second call for the same (dossier, kind, event seq) returns the same slip and
    renders nothing. Returns None for an unknown dossier or event, a kind without a template, or
    a kind the dossier's rule set has no form for.
    """
    kind = SlipKind(kind)
    if kind not in TRANSITION_SLIPS.values():
        return None
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier_id).first()
        if dossier is None or slip_form(dossier, kind) is None:
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
    # These slips are released to the applicant: the pipeline's next step seals them.
    return _store(slip_id=slip.pk, prefix=_file_prefix(dossier, kind), code=dossier.code, pdf=pdf)


def _file_prefix(dossier: Dossier, kind: str) -> str:
    """``mau-<number>-<slug>`` of the form in the dossier's rule set (``mau-06-kiem-soat``)."""
    form = slip_form(dossier, kind)
    return f"mau-{form.number}-{form.slug}" if form is not None else f"mau-{kind}"


def _store(*, slip_id: int, prefix: str, code: str, pdf: bytes) -> Slip:
    """Save the rendered PDF on the slip, unless a concurrent run already did."""
    with files_kept_only_if_committed() as track, transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip_id)
        if not locked.file:
            suffix = f"-{locked.number}" if locked.number > 1 else ""
            locked.file.save(f"{prefix}-{code}{suffix}.pdf", ContentFile(pdf), save=False)
            track(locked.file)
            locked.rendered_at = timezone.now()
            locked.save(update_fields=["file", "rendered_at"])
        return locked


# --- form 05: the process control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ) -------------

# Who receives a step nobody holds yet: the role, as the form names it, at its agency.
_ROLE_LABELS = {
    "reception": "Bộ phận Tiếp nhận và Trả kết quả",
    "department_head": "Lãnh đạo phòng",
    "specialist": "Chuyên viên xử lý",
    "leader": "Lãnh đạo cơ quan",
}


def slip_control_sheet_request(*, user, dossier_id: int) -> Slip:
    """The up-to-date process control sheet (form 05) of the dossier, for an officer who may see it.

    The sheet is keyed by the dossier's event count: while nothing has happened since the last
    request, the same sheet comes back; after a new event, the next sheet (number + 1) is
    issued. A sheet without its PDF yet is (re-)queued for rendering on commit (pdf queue).
    Raises ``PermissionDenied`` for anyone who may not see the dossier as an officer (an
    unknown dossier answers the same way).
    """

    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if (
        dossier is None
        or not getattr(user, "is_authenticated", False)
        or not dossier_officer_can_view(user=user, dossier=dossier)
    ):
        raise PermissionDenied(_("Bạn không có quyền xem phiếu kiểm soát của hồ sơ này."))
    kind = SlipKind.CONTROL_SHEET
    with transaction.atomic():
        # The row lock orders this with the transitions: the count read is the chain's head.
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        slip = Slip.objects.filter(dossier=locked, kind=kind, event_seq=locked.events_count).first()
        if slip is None:
            last = Slip.objects.filter(dossier=locked, kind=kind).order_by("-number").values("number").first()
            slip = Slip.objects.create(
                dossier=locked,
                kind=kind,
                number=(last["number"] + 1) if last else 1,
                event_seq=locked.events_count,
                context={"requested_by": user.pk, "officer_name": _person(user)},
            )
        if not slip.file:
            pipelines.control_sheet_enqueue(slip_id=slip.pk)
    return slip


def slip_control_sheet_render(*, slip_id: int) -> Slip | None:
    """Render the control sheet ``slip_id``, once; None for an unknown sheet."""
    slip = Slip.objects.filter(pk=slip_id, kind=SlipKind.CONTROL_SHEET).first()
    if slip is None or slip.file:
        return slip
    dossier = Dossier.objects.select_related(
        "procedure", "procedure_version", "receiving_agency__parent", "organisation"
    ).get(pk=slip.dossier_id)
    pdf = render_pdf(TEMPLATES[SlipKind.CONTROL_SHEET], _control_sheet_context(dossier, slip))
    prefix = _file_prefix(dossier, SlipKind.CONTROL_SHEET)
    return _store(slip_id=slip.pk, prefix=prefix, code=dossier.code or str(dossier.pk), pdf=pdf)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email or str(user)


def _at_role(step: DossierStep) -> str:
    return f"{_ROLE_LABELS.get(step.role, step.role)} — {step.agency.name}"


def _timeliness(finished: dt.datetime, due: dt.datetime | None) -> str:
    """Early / on time / late of a finish against a due time, by the agency's local dates."""
    if due is None:
        return ""
    if finished > due:
        return Timeliness.LATE.label
    if timezone.localdate(finished) < timezone.localdate(due):
        return Timeliness.EARLY.label
    return Timeliness.ON_TIME.label


def _before(moment: dt.datetime | None, as_of: dt.datetime) -> dt.datetime | None:
    """The moment if it had happened when the sheet's event was written, else None."""
    return moment if moment is not None and moment <= as_of else None


def _assignments(dossier: Dossier, as_of: dt.datetime) -> list[DossierEvent]:
    """The department head's (or leader's) assignments of a specialist, as of the sheet's event."""
    return list(
        DossierEvent.objects.filter(dossier=dossier, action="assign", created_at__lte=as_of)
        .select_related("actor")
        .order_by("seq")
    )


def _receiver(following: DossierStep | None, as_of: dt.datetime) -> str:
    """Who received the dossier at the start of ``following``: its assignee, else the officer who
    held it (who handed it on), else the role at the agency while nobody has acted yet."""
    if following is None:
        return ""
    if following.assignee_id is not None:
        return _person(following.assignee)
    if _before(following.finished_at, as_of) is not None and following.handed_by_id is not None:
        return _person(following.handed_by)
    return _at_role(following)


def _handovers(dossier: Dossier, as_of: dt.datetime) -> list[dict]:
    """Every handover of the dossier as of ``as_of``, one row per step, in order.

    A workflow template without a department head's step (reception → specialist) still
    records the head's assignment: the reception row goes to the officer who assigned, and an
    assignment row (head → specialist) follows it, at the time of the ``assign`` event.
    """
    steps = list(
        DossierStep.objects.filter(dossier=dossier, started_at__lte=as_of)
        .select_related("agency", "assignee", "handed_by")
        .order_by("seq")
    )
    assignments = _assignments(dossier, as_of)
    returned_at = _before(dossier.returned_at, as_of)
    rows = []
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else None
        finished = _before(step.finished_at, as_of)
        row = {
            "name": step.name,
            "agency": step.agency.name,
            "started_at": _local(step.started_at),
            "due_at": _local(step.due_at),
            "handed_at": _local(finished),
            "note": "",
        }
        # The assignment that gave ``following`` (a specialist's step) its holder, when no step
        # of the head's own lies between: the head received the dossier from this step.
        assignment = None
        if (
            finished is not None
            and following is not None
            and following.role == ROLE_SPECIALIST
            and step.role != ROLE_HEAD
        ):
            assignment = next((e for e in assignments if e.created_at >= finished), None)
        if finished is None:
            row.update(
                giver=_person(step.assignee) or _at_role(step),
                receiver="",
                result="Đang quá hạn" if step.due_at is not None and step.due_at < as_of else "Đang xử lý",
            )
        else:
            if assignment is not None:
                receiver = _person(assignment.actor) or assignment.actor_label
            elif following is not None:
                receiver = _receiver(following, as_of)
                if step.outcome == StepOutcome.HANDED_OVER and following.agency.name not in receiver:
                    # The centre's hand-over: the receiving side is another agency, named.
                    receiver = f"{following.agency.name}: {receiver}"
            elif returned_at is not None:
                receiver = "Người nhận kết quả: " + (dossier.returned_to or dossier.applicant_name)
            else:
                receiver = ""
            row.update(
                giver=_person(step.handed_by),
                receiver=receiver,
                result=Timeliness(step.timeliness).label if step.timeliness else "",
            )
            if step.outcome and step.outcome != StepOutcome.DONE:
                row["note"] = str(StepOutcome(step.outcome).label)
        rows.append(row)
        if assignment is not None:
            rows.append(
                {
                    "name": "Phân công xử lý",
                    "agency": step.agency.name,
                    "started_at": _local(finished),
                    # The template allots this handover no time of its own: no result against it.
                    "due_at": None,
                    "handed_at": _local(assignment.created_at),
                    "note": "",
                    "giver": _person(assignment.actor) or assignment.actor_label,
                    "receiver": _person(following.assignee) or _at_role(following),
                    "result": "",
                }
            )
    return rows


def _consultations(dossier: Dossier, as_of: dt.datetime) -> list[dict]:
    rows = []
    for consultation in (
        Consultation.objects.filter(dossier=dossier, requested_at__lte=as_of)
        .select_related("agency", "requested_by", "answered_by")
        .order_by("requested_at", "pk")
    ):
        answered = _before(consultation.answered_at, as_of)
        rows.append(
            {
                "agency": consultation.agency.name,
                "question": consultation.question,
                "requested_by": _person(consultation.requested_by),
                "requested_at": _local(consultation.requested_at),
                "due_at": _local(consultation.due_at),
                "answered_at": _local(answered),
                "answered_by": _person(consultation.answered_by) if answered else "",
                "result": _timeliness(answered, consultation.due_at)
                if answered
                else ("Quá hạn, chưa trả lời" if consultation.due_at < as_of else "Đang chờ trả lời"),
            }
        )
    return rows


def _final_result(dossier: Dossier, state: str, as_of: dt.datetime) -> dict:
    """The dossier's result against its appointment: the first one, and the new one after an apology."""
    apologised = _before(dossier.apology_at, as_of) is not None
    original_due = dossier.original_due_at if apologised else None
    due = dossier.due_at if apologised or dossier.original_due_at is None else dossier.original_due_at
    resolved_at = _before(dossier.resolved_at, as_of)
    returned_at = _before(dossier.returned_at, as_of)
    finished = resolved_at or returned_at
    result = {
        "state": DossierState(state).label if state in DossierState.values else state,
        "outcome": Outcome(dossier.outcome).label if dossier.outcome and finished else "",
        "resolved_at": _local(resolved_at),
        "returned_at": _local(returned_at),
        "return_method": ReturnMethod(dossier.return_method).label if returned_at and dossier.return_method else "",
        "returned_to": dossier.returned_to if returned_at else "",
        "due_at": _local(due),
        "original_due_at": _local(original_due),
        "timeliness": "",
        "against_new": "",
    }
    if finished is not None:
        # A dossier that missed its first appointment stays late, whatever the new date.
        result["timeliness"] = _timeliness(finished, original_due or due)
        if original_due is not None:
            result["against_new"] = _timeliness(finished, due)
    elif state not in FINAL_STATES and due is not None and due < as_of:
        result["timeliness"] = "Đang quá hạn"
    return result


def _control_sheet_context(dossier: Dossier, slip: Slip) -> dict:
    event = DossierEvent.objects.filter(dossier=dossier, seq=slip.event_seq).first() if slip.event_seq else None
    # The sheet shows the dossier as it stood at its event, even when rendered later.
    as_of = event.created_at if event is not None else timezone.now()
    state = event.to_state if event is not None and event.to_state else dossier.state
    agency = dossier.receiving_agency
    url = tracking_url(dossier)
    handovers = _handovers(dossier, as_of)
    rules = dossier_rules(dossier)
    return {
        "kind": SlipKind.CONTROL_SHEET,
        "rules": rules,
        "form": rules.form(SLIP_FORM[SlipKind.CONTROL_SHEET]),
        "number": slip.number,
        "register_number": _register_number(dossier.code),
        "agency_name": agency.name,
        "parent_agency_name": agency.parent.name if agency.parent_id else "",
        "reception_centre_name": dossier.reception_centre.name if dossier.reception_centre_id else "",
        "issued_at": timezone.localtime(slip.created_at),
        "as_of": timezone.localtime(as_of),
        "place": slip_place(),
        "code": dossier.code or "",
        "procedure_name": dossier.procedure_version.name,
        "procedure_code": dossier.procedure.code,
        "applicant_name": dossier.applicant_name,
        "applicant_address": dossier.applicant_address,
        "organisation_name": dossier.organisation.name if dossier.organisation_id else "",
        "department_name": dossier.department.name if dossier.department_id else "",
        # Not cut at the event: an online dossier received out of hours counts from the next working period.
        "received_at": _local(dossier.received_at),
        "handovers": handovers,
        "consultations": _consultations(dossier, as_of),
        "final": _final_result(dossier, state, as_of),
        "officer_name": (slip.context or {}).get("officer_name", ""),
        "tracking_url": url,
        "qr": qr_data_uri(url),
    }
