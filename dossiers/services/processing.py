"""Processing (giải quyết) of a received dossier: assignment, appraisal, consultation, approval,
lateness, stopping, withdrawal and the return of the result.

Each service is one transition of ``dossiers.core.machine``: the engine locks the row, checks the
permission, state and guard, and writes the event; the service validates its input first
(nothing is written when it is refused) and says what else changes (steps, assignee, results,
appointment). The actions registry offers each of them on the dossier page and in the API.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import selectors
from dossiers.constants import (
    DocumentSource,
    DossierState,
    Outcome,
    ResultStatus,
    ReturnMethod,
    StepOutcome,
)
from dossiers.core import pipelines
from dossiers.core.clock import dossier_clock_resume
from dossiers.core.codes import result_code
from dossiers.core.fees import fees_before_result
from dossiers.core.machine import consultations_open_for_officer, transition_run
from dossiers.core.notices import notify_assigned, notify_consultation_requested
from dossiers.core.steps import (
    ROLE_HEAD,
    ROLE_LEADER,
    ROLE_RECEPTION,
    ROLE_SPECIALIST,
    step_close,
    step_current_role,
    step_index_after,
    step_index_of,
    step_move,
    step_reassign,
    steps_template,
)
from dossiers.core.text import REASON_MIN_LENGTH, text_clean
from dossiers.models import Consultation, Dossier, DossierEvent, DossierResult, DossierStep, StoredDocument
from dossiers.services.documents import document_inspect, stored_document_create
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from portal.run_cache import run_cached
from procedures import selectors as procedure_selectors
from signing import selectors as signing_selectors

_S = DossierState
CONSULT_MAX_DAYS = 30
RESULT_MAX_SIZE = 20 * 1024 * 1024


# --- assignment -------------------------------------------------------------------------------


def _specialist(*, user, dossier: Dossier, assignee_id: int | None) -> object:
    """The specialist chosen, one of the choices ``user`` is offered (``officers_for_assignment``)."""
    if assignee_id is None:
        raise ValidationError({"assignee": [_("Vui lòng chọn chuyên viên xử lý.")]})
    chosen = run_cached(
        ("assignment_specialist", user.pk, dossier.receiving_agency_id, assignee_id),
        lambda: selectors.officers_for_assignment(user=user, dossier=dossier).filter(pk=assignee_id).first(),
    )
    if chosen is None:
        raise ValidationError(
            {"assignee": [_("Người được chọn không có trong danh sách chuyên viên xử lý bạn được phân công.")]}
        )
    return chosen


def _assignee_department(*, assignee, agency_id: int):
    """The department of the specialist's membership at the agency, when it has one (read once
    per bulk run, ``portal.run_cache``)."""

    def compute():
        membership = (
            assignee.officer_memberships.filter(agency_id=agency_id, department__isnull=False, is_active=True)
            .select_related("department")
            .first()
        )
        return membership.department if membership else None

    return run_cached(("assignee_department", assignee.pk, agency_id), compute)


def _department(*, user, dossier: Dossier, department_id: int | None):
    """The department chosen, one of the choices ``user`` is offered (``departments_for_assignment``)."""
    if department_id is None:
        return None
    department = selectors.departments_for_assignment(user=user, dossier=dossier).filter(pk=department_id).first()
    if department is None:
        raise ValidationError(
            {"department": [_("Phòng được chọn không có trong danh sách phòng của cơ quan bạn được phân công.")]}
        )
    return department


def _officer_texts(note, message) -> tuple[str, str]:
    """An officer's internal note and its message to the applicant, cleaned."""
    return text_clean(note, field="note", required=False), text_clean(message, field="message", required=False)


def dossier_assign(
    *, user, dossier_id: int, assignee_id: int | None, department_id: int | None = None, note: str = ""
) -> Dossier:
    """Department head or leader assigns a specialist (phân công); processing starts."""
    note = text_clean(note, field="note", required=False)
    chosen: dict = {}
    now = timezone.now()

    def check(dossier: Dossier) -> None:
        chosen["assignee"] = _specialist(user=user, dossier=dossier, assignee_id=assignee_id)
        chosen["department"] = _department(user=user, dossier=dossier, department_id=department_id)
        if chosen["department"] is None:
            chosen["department"] = _assignee_department(
                assignee=chosen["assignee"], agency_id=dossier.receiving_agency_id
            )

    def apply(dossier: Dossier) -> list[str]:
        assignee = chosen["assignee"]
        dossier.assigned_to = assignee
        dossier.department = chosen["department"]
        if step_current_role(dossier) == ROLE_SPECIALIST:
            step_reassign(dossier=dossier, assignee=assignee)
        else:
            index = step_index_after(dossier, dossier.current_step, roles={ROLE_SPECIALIST})
            step_move(
                dossier=dossier,
                user=user,
                now=now,
                index=index if index is not None else dossier.current_step,
                outcome=StepOutcome.DONE,
                assignee=assignee,
            )
        return ["assigned_to", "department"]

    def after(dossier: Dossier) -> None:
        notify_assigned(officer=chosen["assignee"], dossier=dossier, assigned_by=user)

    payload: dict = {}
    result = transition_run(
        user=user,
        dossier_id=dossier_id,
        name="assign",
        note=note,
        payload=payload,
        check=check,
        apply=apply,
        effects=after,
    )
    return result


def dossier_reassign(*, user, dossier_id: int, assignee_id: int | None, note: str = "") -> Dossier:
    note = text_clean(note, field="note", required=False)
    chosen: dict = {}

    def check(dossier: Dossier) -> None:
        chosen["assignee"] = _specialist(user=user, dossier=dossier, assignee_id=assignee_id)
        if chosen["assignee"].pk == dossier.assigned_to_id:
            raise ValidationError({"assignee": [_("Hồ sơ đang do chính chuyên viên này xử lý.")]})

    def apply(dossier: Dossier) -> list[str]:
        chosen["previous"] = dossier.assigned_to_id
        dossier.assigned_to = chosen["assignee"]
        if step_current_role(dossier) == ROLE_SPECIALIST:
            step_reassign(dossier=dossier, assignee=chosen["assignee"])
        return ["assigned_to"]

    def after(dossier: Dossier) -> None:
        notify_assigned(officer=chosen["assignee"], dossier=dossier, assigned_by=user)

    return transition_run(
        user=user, dossier_id=dossier_id, name="reassign", note=note, check=check, apply=apply, effects=after
    )


# --- appraisal and results --------------------------------------------------------------------


def _next_result_number(dossier: Dossier) -> int:
    return (dossier.results.aggregate(n=Max("number"))["n"] or 0) + 1


def dossier_propose(
    *,
    user,
    dossier_id: int,
    recommendation: str,
    result_title: str = "",
    result_file: tuple[str, bytes] | None = None,
    generate: bool = False,
    note: str = "",
    reason: str = "",
) -> Dossier:
    """The assigned specialist appraises and proposes (thẩm định, trình), with a draft result.

    The draft is an uploaded PDF or, with ``generate``, rendered from the result template in
    the ``pdf`` queue after commit. Drafts of earlier proposals are voided. ``note`` is
    internal; a proposal to decline gives its ``reason``, which the reply to the applicant
    states once the leader signs it (kept in the payload: not told at proposal time).
    """
    if recommendation not in (Outcome.GRANTED, Outcome.DECLINED, "grant", "decline"):
        raise ValidationError({"recommendation": [_("Vui lòng chọn đề xuất: giải quyết hoặc từ chối giải quyết.")]})
    recommendation = Outcome.GRANTED if recommendation in (Outcome.GRANTED, "grant") else Outcome.DECLINED
    # A proposal to decline must say why; the reason reaches the applicant in the signed reply.
    note = text_clean(note, field="note", required=False)
    declining = recommendation == Outcome.DECLINED
    reason = text_clean(reason, field="reason", required=declining, minimum=REASON_MIN_LENGTH) if declining else ""
    result_title = text_clean(result_title, field="result_title", required=False)[:255]
    inspected = None
    if result_file is not None:
        name, content = result_file
        try:
            inspected = document_inspect(
                name=name, content=content, accepted_types=("application/pdf",), max_size=RESULT_MAX_SIZE
            )
        except ValidationError as error:
            raise ValidationError({"result_file": error.messages}) from None
    elif not generate:
        raise ValidationError(
            {"result_file": [_("Vui lòng tải lên dự thảo kết quả (PDF) hoặc chọn tạo dự thảo từ mẫu.")]}
        )
    created: dict = {}
    now = timezone.now()

    def apply(dossier: Dossier) -> list[str]:
        dossier.results.filter(status=ResultStatus.DRAFT).update(status=ResultStatus.VOID)
        title = result_title or _default_result_title(dossier, recommendation)
        number = _next_result_number(dossier)
        stored = None
        if inspected is not None:
            stored = stored_document_create(inspected=inspected, owner=user, title=title, source=DocumentSource.RESULT)
        created["result"] = DossierResult.objects.create(
            dossier=dossier,
            number=number,
            code=result_code(dossier_code=dossier.code, n=number),
            title=title,
            stored=stored,
            created_by=user,
        )
        dossier.outcome = recommendation
        index = step_index_after(dossier, dossier.current_step, roles={ROLE_HEAD, ROLE_LEADER})
        step_move(dossier=dossier, user=user, now=now, index=index, outcome=StepOutcome.DONE)
        payload.update(recommendation=str(recommendation), result=created["result"].code)
        if reason:
            payload["reason"] = reason
        return ["outcome"]

    def after(dossier: Dossier) -> None:
        if created["result"].stored_id is None:
            pipelines.result_render_enqueue(result_id=created["result"].pk)

    payload: dict = {}
    return transition_run(
        user=user, dossier_id=dossier_id, name="propose", note=note, payload=payload, apply=apply, effects=after
    )


def _default_result_title(dossier: Dossier, outcome: str) -> str:
    if outcome == Outcome.DECLINED:
        return _("Văn bản trả lời từ chối giải quyết hồ sơ %(code)s") % {"code": dossier.code}
    types = dossier.procedure_version.result_types or []
    if types and isinstance(types[0], dict) and types[0].get("name"):
        return str(types[0]["name"])[:255]
    return _("Kết quả giải quyết thủ tục %(procedure)s") % {"procedure": dossier.procedure_version.name}


def dossier_forward(*, user, dossier_id: int, note: str = "") -> Dossier:
    """The department head has reviewed the proposal and sends it up to the leader."""
    note = text_clean(note, field="note", required=False)
    now = timezone.now()

    def apply(dossier: Dossier) -> list[str]:
        index = step_index_after(dossier, dossier.current_step, roles={ROLE_LEADER})
        step_move(dossier=dossier, user=user, now=now, index=index, outcome=StepOutcome.DONE)
        return []

    return transition_run(user=user, dossier_id=dossier_id, name="forward", note=note, apply=apply)


_ROLE_STATE = {
    ROLE_SPECIALIST: _S.PROCESSING,
    ROLE_HEAD: _S.PENDING_APPROVAL,
    ROLE_LEADER: _S.PENDING_APPROVAL,
    ROLE_RECEPTION: _S.RECEIVED,
}


def _send_back_target(dossier: Dossier) -> int:
    steps = steps_template(dossier)
    current = dossier.current_step
    key = steps[current].get("send_back_to") if 0 <= current < len(steps) else None
    index = step_index_of(dossier, key)
    if index is None or index >= current:
        # No target in the template: the previous step held by another role.
        index = next((i for i in range(current - 1, -1, -1) if steps[i]["role"] != steps[current]["role"]), None)
    if index is None:
        raise ValidationError(
            _("Bước hiện tại là bước đầu tiên, không có bước trước để trả lại."), code="invalid_state"
        )
    return index


def dossier_send_back(*, user, dossier_id: int, reason: str) -> Dossier:
    """Send the dossier back to an earlier step (the template's ``send_back_to``), with the reason.

    The officer who holds the current step sends it back: the assigned specialist during
    appraisal, the department head or the leader at their review.
    """
    reason = text_clean(reason, field="reason", required=True, minimum=REASON_MIN_LENGTH)
    now = timezone.now()
    target: dict = {}

    def check(dossier: Dossier) -> None:
        target["index"] = _send_back_target(dossier)

    def apply(dossier: Dossier) -> list[str]:
        index = target["index"]
        role = steps_template(dossier)[index]["role"]
        assignee = dossier.assigned_to if role == ROLE_SPECIALIST else None
        step_move(dossier=dossier, user=user, now=now, index=index, outcome=StepOutcome.SENT_BACK, assignee=assignee)
        dossier.state = _ROLE_STATE.get(role, _S.PROCESSING)
        fields = []
        if dossier.state == _S.RECEIVED:
            dossier.assigned_to = None
            fields.append("assigned_to")
        if dossier.state == _S.PROCESSING:
            dossier.results.filter(status=ResultStatus.DRAFT).update(status=ResultStatus.VOID)
        payload["to_step"] = steps_template(dossier)[index]["key"]
        return fields

    payload: dict = {}
    return transition_run(
        user=user, dossier_id=dossier_id, name="send_back", note=reason, payload=payload, check=check, apply=apply
    )


# --- consultation (liên thông) ------------------------------------------------------------------


def dossier_consult(
    *, user, dossier_id: int, agency_code: str, question: str, days: int | None, document_ids: list[int] | None = None
) -> Dossier:
    """Ask another agency's opinion, with its own deadline; the dossier waits for the answers.

    The agency asked sees the question and the documents sent with it (``document_ids``, current
    documents of the dossier; none chosen: every current document), not the rest of the dossier.
    """
    question = text_clean(question, field="question", required=True, minimum=REASON_MIN_LENGTH)
    agency_code = str(agency_code or "").strip()[:32]
    if not agency_code:
        raise ValidationError({"agency": [_("Vui lòng chọn cơ quan được xin ý kiến.")]})
    agency = procedure_selectors.agency_get_by_code(agency_code)
    if agency is None or not agency.is_active:
        raise ValidationError({"agency": [_("Cơ quan được chọn không có trong danh sách cơ quan có thể xin ý kiến.")]})
    if days is None or not 1 <= days <= CONSULT_MAX_DAYS:
        raise ValidationError(
            {"days": [_("Thời hạn trả lời là số ngày làm việc từ 1 đến %(max)d.") % {"max": CONSULT_MAX_DAYS}]}
        )
    now = timezone.now()
    created: dict = {}

    def check(dossier: Dossier) -> None:
        current = dossier.documents.filter(superseded_at__isnull=True)
        chosen = current.filter(pk__in=document_ids) if document_ids else current
        if document_ids and chosen.count() != len(set(document_ids)):
            raise ValidationError({"documents": [_("Giấy tờ gửi kèm phải là giấy tờ hiện có của hồ sơ.")]})
        created["documents"] = list(chosen.values_list("pk", flat=True))
        if agency.pk == dossier.receiving_agency_id:
            raise ValidationError({"agency": [_("Không thể xin ý kiến chính cơ quan đang giải quyết hồ sơ.")]})
        if dossier.consultations.filter(agency=agency, answered_at__isnull=True).exists():
            raise ValidationError({"agency": [_("Đã có một yêu cầu xin ý kiến cơ quan này đang chờ trả lời.")]})
        if not selectors.agencies_for_consultation(dossier=dossier).filter(pk=agency.pk).exists():
            # The list offered is the rule (``agencies_for_consultation``); the messages above say why.
            raise ValidationError(
                {"agency": [_("Cơ quan được chọn không có trong danh sách cơ quan có thể xin ý kiến.")]}
            )

    def apply(dossier: Dossier) -> list[str]:
        due = procedure_selectors.add_working_minutes(
            agency=agency, moment=procedure_selectors.next_working_moment(agency=agency, moment=now), minutes=days * 480
        )
        created["consultation"] = Consultation.objects.create(
            dossier=dossier, agency=agency, question=question, requested_by=user, requested_at=now, due_at=due
        )
        created["consultation"].documents.set(created["documents"])
        payload.update(
            agency=agency.code,
            due_at=due.isoformat(),
            consultation=created["consultation"].pk,
            documents=created["documents"],
        )
        return []

    def after(dossier: Dossier) -> None:
        consultation = created["consultation"]
        for officer in portal_selectors.users_with_permission(agency_id=agency.pk, permission=OfficerPermission.ASSIGN):
            notify_consultation_requested(officer=officer, dossier=dossier, consultation=consultation)

    payload: dict = {}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="consult",
        note=question,
        payload=payload,
        check=check,
        apply=apply,
        effects=after,
    )


def dossier_consult_reply(*, user, dossier_id: int, consultation_id: int | None, answer: str) -> Dossier:
    """An officer of the consulted agency answers; with the last answer, processing resumes."""
    answer = text_clean(answer, field="answer", required=True, minimum=REASON_MIN_LENGTH)
    if consultation_id is None:
        raise ValidationError({"consultation": [_("Yêu cầu xin ý kiến không hợp lệ.")]})
    found: dict = {}

    def check(dossier: Dossier) -> None:
        mine = {c.pk: c for c in consultations_open_for_officer(user=user, dossier=dossier)}
        consultation = mine.get(consultation_id)
        if consultation is None:
            raise ValidationError(
                {"consultation": [_("Không có yêu cầu xin ý kiến này gửi cơ quan của bạn đang chờ trả lời.")]}
            )
        found["consultation"] = consultation

    def apply(dossier: Dossier) -> list[str]:
        consultation = found["consultation"]
        consultation.answer, consultation.answered_by, consultation.answered_at = answer, user, timezone.now()
        consultation.save(update_fields=["answer", "answered_by", "answered_at"])
        if not dossier.consultations.filter(answered_at__isnull=True).exists():
            dossier.state = _S.PROCESSING
        payload.update(consultation=consultation.pk, agency=consultation.agency.code)
        return []

    payload: dict = {}
    return transition_run(
        user=user, dossier_id=dossier_id, name="consult_reply", note=answer, payload=payload, check=check, apply=apply
    )


# --- approval ---------------------------------------------------------------------------------


def _decide(*, user, dossier_id: int, name: str, outcome: str, note: str, public_note: str) -> Dossier:
    now = timezone.now()
    finalised: list[int] = []

    def check(dossier: Dossier) -> None:
        if not dossier.results.filter(status=ResultStatus.DRAFT).exists():
            raise ValidationError(_("Hồ sơ chưa có dự thảo kết quả để phê duyệt."), code="invalid_state")
        if dossier.results.filter(status=ResultStatus.DRAFT, stored__isnull=True).exists():
            raise ValidationError(
                _("Dự thảo kết quả đang được tạo, vui lòng thử lại sau ít phút."), code="invalid_state"
            )

    def apply(dossier: Dossier) -> list[str]:
        finalised.extend(dossier.results.filter(status=ResultStatus.DRAFT).values_list("pk", flat=True))
        DossierResult.objects.filter(pk__in=finalised).update(
            status=ResultStatus.FINAL, approved_by=user, approved_at=now
        )
        dossier.outcome = outcome
        dossier.resolved_at = now
        index = step_index_after(dossier, dossier.current_step, roles={ROLE_RECEPTION})
        step_move(dossier=dossier, user=user, now=now, index=index, outcome=StepOutcome.DONE)
        payload["results"] = list(
            DossierResult.objects.filter(pk__in=finalised).order_by("number").values_list("code", flat=True)
        )
        return ["outcome", "resolved_at"]

    def after(dossier: Dossier) -> None:
        _sign_results(dossier=dossier, result_ids=finalised, user=user)

    payload: dict = {"outcome": str(outcome)}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name=name,
        note=note,
        public_note=public_note,
        payload=payload,
        check=check,
        apply=apply,
        effects=after,
    )


def _sign_results(*, dossier: Dossier, result_ids: list[int], user) -> None:
    """Queue the digital signature of the approved results (signing queue; the web process never
    loads a key). The leader's personal certificate signs when it has one, else the agency seal."""
    stored_ids = DossierResult.objects.filter(pk__in=result_ids).values_list("stored_id", flat=True)
    pipelines.results_sign_enqueue(
        stored_document_ids=[pk for pk in stored_ids if pk], agency_id=dossier.receiving_agency_id, user_id=user.pk
    )


def dossier_approve(*, user, dossier_id: int, note: str = "", message: str = "") -> Dossier:
    """The leader approves the proposal: the draft result becomes the result; the dossier is resolved.

    ``note`` is internal; ``message`` is told to the applicant."""
    note, message = _officer_texts(note, message)
    return _decide(
        user=user, dossier_id=dossier_id, name="approve", outcome=Outcome.GRANTED, note=note, public_note=message
    )


def dossier_decline(*, user, dossier_id: int, reason: str, note: str = "") -> Dossier:
    """The leader refuses to grant (không giải quyết): the answer with the reason is the result.

    The reason is told to the applicant; ``note`` is internal."""
    reason = text_clean(reason, field="reason", required=True, minimum=REASON_MIN_LENGTH)
    note = text_clean(note, field="note", required=False)
    return _decide(
        user=user, dossier_id=dossier_id, name="decline", outcome=Outcome.DECLINED, note=note, public_note=reason
    )


# --- payment before the result -----------------------------------------------------------------


def dossier_request_payment(*, user, dossier_id: int, note: str = "", message: str = "") -> Dossier:
    """Ask the applicant to pay the fees due before the result (status 6); the clock pauses.

    ``note`` is internal; ``message`` is told to the applicant."""
    note, message = _officer_texts(note, message)

    def apply(dossier: Dossier) -> list[str]:
        payload["amount"] = fees_before_result(dossier=dossier)
        dossier.resume_state = from_state["state"]
        dossier.paused_at = timezone.now()
        return ["resume_state", "paused_at"]

    def check(dossier: Dossier) -> None:
        from_state["state"] = dossier.state

    from_state: dict = {}
    payload: dict = {}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="request_payment",
        note=note,
        public_note=message,
        payload=payload,
        check=check,
        apply=apply,
    )


def dossier_payment_received(
    *, user, dossier_id: int, reference: str = "", note: str = "", message: str = "", online: bool = False
):
    """The fees are paid (at the counter, recorded by reception; online, by the payment service).

    ``note`` is internal; ``message`` is told to the applicant."""
    reference = text_clean(reference, field="reference", required=False)[:64]
    note, message = _officer_texts(note, message)
    now = timezone.now()

    def apply(dossier: Dossier) -> list[str]:
        paused = dossier_clock_resume(dossier, now)
        dossier.state = dossier.resume_state or _S.PROCESSING
        dossier.resume_state = ""
        payload.update(reference=reference, paused_minutes=paused, online=online)
        return ["resume_state", "paused_at", "paused_minutes", "due_at"]

    payload: dict = {}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="payment_received",
        note=note,
        public_note=message,
        payload=payload,
        apply=apply,
    )


# --- lateness (form 04) -------------------------------------------------------------------------


def dossier_apologise(
    *, user, dossier_id: int, reason: str, new_due_at: dt.datetime | dt.date | None, note: str = ""
) -> Dossier:
    """Issue the apology letter (form 04) with the reason and the one new appointment date.

    Only before the dossier is resolved, once per dossier, before the current appointment has
    passed (the guard, `dossiers.core.apology`). The new appointment is a moment of the
    agency's working time later than the current one; a date alone means the close of that
    working day. The original appointment is kept in ``original_due_at`` so the dossier stays
    late in the statistics when it misses it. The reason is told to the applicant; ``note`` is
    internal.
    """
    reason = text_clean(reason, field="reason", required=True, minimum=REASON_MIN_LENGTH)
    note = text_clean(note, field="note", required=False)
    moment: dict = {}

    def check(dossier: Dossier) -> None:
        moment["due"] = _apology_new_due(dossier=dossier, value=new_due_at)

    def apply(dossier: Dossier) -> list[str]:
        dossier.original_due_at = dossier.due_at
        dossier.due_at = moment["due"]
        dossier.apology_at = timezone.now()
        # The new appointment is watched again by the deadline sweep.
        dossier.due_soon_at = None
        dossier.escalated_at = None
        payload.update(original_due_at=dossier.original_due_at.isoformat(), new_due_at=dossier.due_at.isoformat())
        return ["original_due_at", "due_at", "apology_at", "due_soon_at", "escalated_at"]

    payload: dict = {"reason": reason}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="apology",
        note=note,
        public_note=reason,
        payload=payload,
        check=check,
        apply=apply,
    )


def _apology_new_due(*, dossier: Dossier, value: dt.datetime | dt.date | None) -> dt.datetime:
    """The new appointment of an apology, checked against the agency's calendar."""
    agency = dossier.receiving_agency
    if value is None:
        raise ValidationError(
            {"new_due_at": [_("Ngày hẹn trả mới không hợp lệ: nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.")]}
        )
    if isinstance(value, dt.datetime):
        new_due = value
    else:
        # A date alone: the close of that working day (the end of a day off, to be refused below).
        new_due = procedure_selectors.working_day_close(agency=agency, day=value) or dt.datetime.combine(
            value, dt.time(23, 59), tzinfo=timezone.get_current_timezone()
        )
    if dossier.due_at is not None and new_due <= dossier.due_at:
        raise ValidationError(
            {
                "new_due_at": [
                    _("Ngày hẹn trả mới phải sau ngày hẹn trả hiện tại.")
                    + " "
                    + _("(Hẹn trả hiện tại: %(due)s.)")
                    % {"due": timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")}
                ]
            }
        )
    if new_due <= timezone.now():
        raise ValidationError({"new_due_at": [_("Ngày hẹn trả mới phải ở tương lai.")]})
    fault = procedure_selectors.working_time_fault(agency=agency, moment=new_due)
    if fault == "day_off":
        raise ValidationError({"new_due_at": [_day_off_message(timezone.localdate(new_due))]})
    if fault:
        raise ValidationError(
            {
                "new_due_at": [
                    _("Giờ hẹn trả mới %(time)s nằm ngoài giờ làm việc của cơ quan (%(hours)s).")
                    % {
                        "time": timezone.localtime(new_due).strftime("%H:%M %d/%m/%Y"),
                        "hours": procedure_selectors.working_hours_label(agency=agency),
                    }
                ]
            }
        )
    return new_due


def _day_off_message(day: dt.date) -> str:
    return _(
        "Ngày %(date)s là ngày nghỉ của cơ quan (thứ Bảy, Chủ nhật, ngày lễ hoặc ngày nghỉ theo lịch);"
        " hãy chọn một ngày làm việc."
    ) % {"date": day.strftime("%d/%m/%Y")}


# --- stop and withdrawal -----------------------------------------------------------------------


def dossier_stop(*, user, dossier_id: int, reason: str, note: str = "") -> Dossier:
    """Stop processing (dừng xử lý, status 8), with the reason given to the applicant (``note``: internal)."""
    reason = text_clean(reason, field="reason", required=True, minimum=REASON_MIN_LENGTH)
    note = text_clean(note, field="note", required=False)
    now = timezone.now()

    def apply(dossier: Dossier) -> list[str]:
        step_close(dossier=dossier, user=user, now=now, outcome=StepOutcome.CLOSED)
        return []

    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="stop",
        note=note,
        public_note=reason,
        payload={"reason": reason},
        apply=apply,
    )


def dossier_withdraw_accept(*, user, dossier_id: int, note: str = "", message: str = "") -> Dossier:
    """Accept the applicant's withdrawal; ``note`` is internal, ``message`` is told to the applicant."""
    note, message = _officer_texts(note, message)
    now = timezone.now()

    def apply(dossier: Dossier) -> list[str]:
        step_close(dossier=dossier, user=user, now=now, outcome=StepOutcome.CLOSED)
        return []

    return transition_run(
        user=user, dossier_id=dossier_id, name="withdraw_accept", note=note, public_note=message, apply=apply
    )


def dossier_withdraw_reject(*, user, dossier_id: int, reason: str, note: str = "") -> Dossier:
    """Refuse the withdrawal request: the dossier goes back to where it was. The reason is told to
    the applicant; ``note`` is internal."""
    reason = text_clean(reason, field="reason", required=True, minimum=REASON_MIN_LENGTH)
    note = text_clean(note, field="note", required=False)

    def apply(dossier: Dossier) -> list[str]:
        request = DossierEvent.objects.filter(dossier=dossier, action="withdraw_requested").order_by("-seq").first()
        dossier.state = request.from_state if request and request.from_state else _S.PROCESSING
        return []

    return transition_run(
        user=user, dossier_id=dossier_id, name="withdraw_reject", note=note, public_note=reason, apply=apply
    )


# --- return of the result ---------------------------------------------------------------------


def dossier_return_result(
    *,
    user,
    dossier_id: int,
    method: str,
    recipient: str = "",
    tracking_number: str = "",
    note: str = "",
    message: str = "",
) -> Dossier:
    """Return the result (status 10): at the counter, by post, or online into the applicant's store.

    Online, each final result lands in the applicant's (or organisation's) document store
    under its code ``<dossier code>-KQ<n>``. ``note`` is internal; ``message`` is told to the
    applicant.
    """
    if method not in ReturnMethod.values:
        raise ValidationError(
            {"method": [_("Vui lòng chọn hình thức trả kết quả: tại quầy, bưu chính hoặc trực tuyến.")]}
        )
    recipient = text_clean(recipient, field="recipient", required=method == ReturnMethod.COUNTER)[:255]
    tracking_number = text_clean(tracking_number, field="tracking_number", required=method == ReturnMethod.POST)[:64]
    note, message = _officer_texts(note, message)
    now = timezone.now()

    def check(dossier: Dossier) -> None:
        if method == ReturnMethod.ONLINE and dossier.applicant_id is None and dossier.organisation_id is None:
            raise ValidationError(
                {"method": [_("Người nộp không có tài khoản trên Cổng: không thể trả kết quả trực tuyến.")]}
            )
        if (
            method == ReturnMethod.ONLINE
            and not dossier.results.filter(status=ResultStatus.FINAL, stored__isnull=False).exists()
        ):
            raise ValidationError({"method": [_("Hồ sơ không có kết quả điện tử để trả trực tuyến.")]})
        if method == ReturnMethod.ONLINE and not _results_signed(dossier):
            raise ValidationError(
                _("Kết quả điện tử đang được ký số; vui lòng trả kết quả sau khi ký xong (thường trong vài giây)."),
                code="invalid_state",
            )

    def apply(dossier: Dossier) -> list[str]:
        desk = _return_desk(user=user, dossier=dossier)
        DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).exclude(agency=desk).update(agency=desk)
        step_close(dossier=dossier, user=user, now=now, outcome=StepOutcome.DONE)
        dossier.return_agency = desk
        payload.update(desk={"code": desk.code, "name": desk.name})
        dossier.returned_at = now
        dossier.return_method = method
        dossier.returned_to = recipient
        dossier.postal_tracking_number = tracking_number
        published = []
        for result in dossier.results.filter(status=ResultStatus.FINAL).select_related("stored"):
            if method == ReturnMethod.ONLINE and result.stored is not None:
                _publish(dossier=dossier, result=result)
                published.append(result.code)
            result.published_at = now
            result.save(update_fields=["published_at"])
        payload.update(method=method, recipient=recipient, tracking_number=tracking_number, published=published)
        return ["returned_at", "return_method", "returned_to", "postal_tracking_number", "return_agency"]

    payload: dict = {}
    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="return_result",
        note=note,
        public_note=message,
        payload=payload,
        check=check,
        apply=apply,
    )


def _return_desk(*, user, dossier: Dossier):
    """The desk returning the result: the centre that received a handed-over dossier when the
    officer returns for it, else the deciding agency."""
    centre = dossier.reception_centre
    if centre is not None and portal_selectors.officer_can(
        user=user, agency_id=centre.pk, permission=OfficerPermission.RETURN_RESULT
    ):
        return centre
    return dossier.receiving_agency


def _results_signed(dossier: Dossier) -> bool:
    """An agency with a seal releases only signed results (Decree 45/2020): every final
    electronic result must carry its signature before it reaches the applicant's store."""
    if not signing_selectors.agency_has_seal(agency_id=dossier.receiving_agency_id):
        return True
    return all(
        signing_selectors.stored_document_is_signed(stored_document_id=result.stored_id, sha256=result.stored.sha256)
        for result in dossier.results.filter(status=ResultStatus.FINAL, stored__isnull=False).select_related("stored")
    )


def _publish(*, dossier: Dossier, result: DossierResult) -> StoredDocument:
    """A copy of the result's entry in the applicant's store, pointing at the same file."""
    source = result.stored
    entry = StoredDocument(
        owner=dossier.applicant if dossier.organisation_id is None else None,
        organisation=dossier.organisation,
        name=source.name,
        title=result.title,
        mime_type=source.mime_type,
        size=source.size,
        sha256=source.sha256,
        source=DocumentSource.RESULT,
        result_code=result.code,
        created_at=timezone.now(),
    )
    entry.file.name = source.file.name
    entry.save()
    return entry
