"""The officers' workflow engine: the explicit transition table and the one helper that runs a transition.

Every transition the officers make (tiếp nhận, phân công, đề xuất, phê duyệt, trả kết quả, ...)
is a row of ``TRANSITIONS``: the states it may start from, the state it leads to (``None``:
the service decides, e.g. back to where the dossier was), the officer permissions any one of
which allows it for the agency concerned, an optional guard (only the assigned specialist
proposes; the leader approves only at the leader's step) and its label. A service performs a
transition through ``_transition``, which locks the dossier row, checks the permission, the
state and the guard under the lock, applies the service's changes, writes the hash-chained
event in the same transaction and enqueues the side effects on commit (the applicant is
notified when the national status changes; the slip the transition issues is rendered). A
refused transition raises before anything is written; two officers acting at once are
serialised by the row lock, so the second one sees the new state and is refused
(``invalid_state``, HTTP 409 in the API).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import STATUS_CODE, DossierState
from dossiers.models import Dossier
from dossiers.services.applicant import dossier_notify_status
from dossiers.services.events import event_append
from dossiers.services.official_slips import slip_enqueue_for_transition
from dossiers.services.steps import ROLE_HEAD, ROLE_LEADER, ROLE_SPECIALIST, step_current_role
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission

_S = DossierState
_P = OfficerPermission

# States in which the dossier is being processed by the agency (the clock runs).
ACTIVE_STATES = frozenset({_S.RECEIVED, _S.PROCESSING, _S.CONSULTING, _S.PENDING_APPROVAL})
OPEN_STATES = ACTIVE_STATES | {_S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUESTED}

Guard = Callable[..., None]


@dataclass(frozen=True)
class Transition:
    name: str  # also the action recorded in the event and offered in ``available_actions``
    sources: frozenset[str]
    target: str | None
    permissions: frozenset[str]
    label: str
    guard: Guard | None = None
    fields: tuple[dict, ...] = field(default_factory=tuple)
    # The agencies whose officers' permissions count; by default the receiving agency.
    agencies: Callable[[Dossier], list[int]] | None = None


# --- guards: raise PermissionDenied (not this officer) or ValidationError (not now) ---------------


def _assignee_only(*, user, dossier: Dossier) -> None:
    if dossier.assigned_to_id != user.pk:
        raise PermissionDenied(_("Chỉ chuyên viên được phân công xử lý hồ sơ mới thực hiện được thao tác này."))


def _at_role(role: str, message: str) -> Guard:
    def guard(*, user, dossier: Dossier) -> None:
        if step_current_role(dossier) != role:
            raise ValidationError(message, code="invalid_state")

    return guard


def _not_at_head_review(*, user, dossier: Dossier) -> None:
    if step_current_role(dossier) == ROLE_HEAD:
        raise ValidationError(_("Hồ sơ đang chờ lãnh đạo phòng xem xét."), code="invalid_state")


def _holds_current_step(*, user, dossier: Dossier) -> None:
    """Only the officer holding the current step sends it back: the assigned specialist during
    appraisal, the department head or the leader at their review."""
    role = step_current_role(dossier)
    holder = {ROLE_SPECIALIST: _P.PROCESS, ROLE_HEAD: _P.REVIEW, ROLE_LEADER: _P.APPROVE}.get(role)
    if holder is None or not portal_selectors.officer_can(
        user=user, agency_id=dossier.receiving_agency_id, permission=holder
    ):
        raise PermissionDenied(_("Bạn không giữ bước xử lý hiện tại của hồ sơ."))
    if role == ROLE_SPECIALIST:
        _assignee_only(user=user, dossier=dossier)


def _supplement_guard(*, user, dossier: Dossier) -> None:
    # Reception asks before and at reception; during processing the assigned specialist asks.
    if portal_selectors.officer_can(user=user, agency_id=dossier.receiving_agency_id, permission=_P.RECEIVE):
        return
    if dossier.state != _S.PROCESSING:
        raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))
    _assignee_only(user=user, dossier=dossier)


def _apology_guard(*, user, dossier: Dossier) -> None:
    if not portal_selectors.officer_can(user=user, agency_id=dossier.receiving_agency_id, permission=_P.ISSUE_APOLOGY):
        _assignee_only(user=user, dossier=dossier)
    if dossier.original_due_at is not None:
        raise ValidationError(
            _("Hồ sơ %(code)s đã có phiếu xin lỗi và hẹn lại; mỗi hồ sơ chỉ được hẹn lại một lần.")
            % {"code": dossier.code},
            code="invalid_state",
        )
    if dossier.due_at is None:
        raise ValidationError(_("Hồ sơ chưa có ngày hẹn trả."), code="invalid_state")
    from dossiers.selectors import dossier_due_soon_or_late

    if not dossier_due_soon_or_late(dossier=dossier):
        raise ValidationError(
            _("Chỉ lập phiếu xin lỗi khi hồ sơ còn dưới một ngày làm việc đến hạn hoặc đã quá hạn."),
            code="invalid_state",
        )


def _payment_guard(*, user, dossier: Dossier) -> None:
    from dossiers.selectors import dossier_fees_before_result

    if not dossier_fees_before_result(dossier=dossier):
        raise ValidationError(_("Thủ tục này không thu phí, lệ phí trước khi trả kết quả."), code="invalid_state")
    # Reception and the leader may ask at any of the allowed steps; a specialist only for a
    # dossier assigned to it and still in its hands.
    agency_id = dossier.receiving_agency_id
    if portal_selectors.officer_can(user=user, agency_id=agency_id, permission=_P.RECEIVE) or (
        portal_selectors.officer_can(user=user, agency_id=agency_id, permission=_P.APPROVE)
    ):
        return
    if dossier.state != _S.PROCESSING:
        raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))
    _assignee_only(user=user, dossier=dossier)


def _consulted_agencies(dossier: Dossier) -> list[int]:
    """A consultation is answered by the agency asked, not by the receiving one."""
    from dossiers.selectors import consultation_open_agency_ids

    return consultation_open_agency_ids(dossier=dossier)


def _consult_reply_guard(*, user, dossier: Dossier) -> None:
    from dossiers.selectors import consultations_open_for_officer

    if not consultations_open_for_officer(user=user, dossier=dossier):
        raise PermissionDenied(_("Không có yêu cầu xin ý kiến nào gửi cơ quan của bạn đang chờ trả lời."))


F = dict  # a field an action needs: name, type, required, label
_NOTE = F(name="note", type="text", required=False, label=gettext_lazy("Ghi chú"))
_REASON = F(name="reason", type="text", required=True, label=gettext_lazy("Lý do"))

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            name="receive",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.RECEIVED,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Tiếp nhận hồ sơ"),
            fields=(_NOTE,),
        ),
        Transition(
            name="request_supplement",
            sources=frozenset({_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING}),
            target=_S.SUPPLEMENT_REQUESTED,
            permissions=frozenset({_P.RECEIVE, _P.PROCESS}),
            label=gettext_lazy("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
            guard=_supplement_guard,
            fields=(
                F(
                    name="items",
                    type="list",
                    required=True,
                    label=gettext_lazy("Danh sách nội dung cần bổ sung: requirement_id hoặc field, và reason"),
                ),
                _NOTE,
            ),
        ),
        Transition(
            name="refuse",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.REFUSED,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Từ chối tiếp nhận hồ sơ"),
            fields=(_REASON,),
        ),
        Transition(
            name="assign",
            sources=frozenset({_S.RECEIVED}),
            target=_S.PROCESSING,
            permissions=frozenset({_P.ASSIGN}),
            label=gettext_lazy("Phân công xử lý"),
            fields=(
                F(name="assignee", type="officer", required=True, label=gettext_lazy("Chuyên viên xử lý")),
                F(name="department", type="department", required=False, label=gettext_lazy("Phòng xử lý")),
                _NOTE,
            ),
        ),
        Transition(
            name="reassign",
            sources=frozenset({_S.PROCESSING, _S.CONSULTING}),
            target=None,
            permissions=frozenset({_P.ASSIGN}),
            label=gettext_lazy("Phân công lại"),
            fields=(
                F(name="assignee", type="officer", required=True, label=gettext_lazy("Chuyên viên xử lý")),
                _NOTE,
            ),
        ),
        Transition(
            name="propose",
            sources=frozenset({_S.PROCESSING}),
            target=_S.PENDING_APPROVAL,
            permissions=frozenset({_P.PROCESS}),
            label=gettext_lazy("Thẩm định, trình phê duyệt"),
            guard=_assignee_only,
            fields=(
                F(
                    name="recommendation",
                    type="choice",
                    required=True,
                    choices=("grant", "decline"),
                    label=gettext_lazy("Đề xuất: giải quyết (grant) hoặc từ chối (decline)"),
                ),
                F(name="result_title", type="text", required=False, label=gettext_lazy("Tên kết quả")),
                F(name="result_file", type="file", required=False, label=gettext_lazy("Dự thảo kết quả (PDF)")),
                F(
                    name="generate",
                    type="boolean",
                    required=False,
                    label=gettext_lazy("Tạo dự thảo kết quả từ mẫu thay vì tải lên"),
                ),
                _NOTE,
            ),
        ),
        Transition(
            name="forward",
            sources=frozenset({_S.PENDING_APPROVAL}),
            target=_S.PENDING_APPROVAL,
            permissions=frozenset({_P.REVIEW}),
            label=gettext_lazy("Lãnh đạo phòng xem xét, trình lãnh đạo cơ quan"),
            guard=_at_role(ROLE_HEAD, gettext_lazy("Hồ sơ không ở bước xem xét của lãnh đạo phòng.")),
            fields=(_NOTE,),
        ),
        Transition(
            name="send_back",
            sources=frozenset({_S.PROCESSING, _S.PENDING_APPROVAL}),
            target=None,
            permissions=frozenset({_P.PROCESS, _P.REVIEW, _P.APPROVE}),
            label=gettext_lazy("Trả lại bước trước"),
            guard=_holds_current_step,
            fields=(_REASON,),
        ),
        Transition(
            name="consult",
            sources=frozenset({_S.PROCESSING, _S.CONSULTING}),
            target=_S.CONSULTING,
            permissions=frozenset({_P.PROCESS}),
            label=gettext_lazy("Lấy ý kiến cơ quan liên quan"),
            guard=_assignee_only,
            fields=(
                F(name="agency", type="agency", required=True, label=gettext_lazy("Mã cơ quan được xin ý kiến")),
                F(name="question", type="text", required=True, label=gettext_lazy("Nội dung xin ý kiến")),
                F(name="days", type="integer", required=True, label=gettext_lazy("Thời hạn trả lời (ngày làm việc)")),
            ),
        ),
        Transition(
            name="consult_reply",
            sources=frozenset({_S.CONSULTING}),
            target=None,
            permissions=frozenset({_P.PROCESS, _P.ASSIGN, _P.APPROVE}),
            label=gettext_lazy("Trả lời xin ý kiến"),
            guard=_consult_reply_guard,
            agencies=_consulted_agencies,
            fields=(
                F(name="consultation", type="integer", required=True, label=gettext_lazy("Số yêu cầu xin ý kiến")),
                F(name="answer", type="text", required=True, label=gettext_lazy("Ý kiến trả lời")),
            ),
        ),
        Transition(
            name="approve",
            sources=frozenset({_S.PENDING_APPROVAL}),
            target=_S.RESOLVED,
            permissions=frozenset({_P.APPROVE}),
            label=gettext_lazy("Phê duyệt kết quả"),
            guard=_not_at_head_review,
            fields=(_NOTE,),
        ),
        Transition(
            name="decline",
            sources=frozenset({_S.PENDING_APPROVAL}),
            target=_S.RESOLVED,
            permissions=frozenset({_P.APPROVE}),
            label=gettext_lazy("Từ chối giải quyết hồ sơ"),
            guard=_not_at_head_review,
            fields=(_REASON,),
        ),
        Transition(
            name="request_payment",
            sources=frozenset({_S.PROCESSING, _S.PENDING_APPROVAL, _S.RESOLVED}),
            target=_S.PAYMENT_REQUESTED,
            permissions=frozenset({_P.RECEIVE, _P.PROCESS, _P.APPROVE}),
            label=gettext_lazy("Yêu cầu thực hiện nghĩa vụ tài chính"),
            guard=_payment_guard,
            fields=(_NOTE,),
        ),
        Transition(
            name="payment_received",
            sources=frozenset({_S.PAYMENT_REQUESTED}),
            target=None,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Xác nhận đã thu phí, lệ phí"),
            fields=(F(name="reference", type="text", required=False, label=gettext_lazy("Số biên lai")), _NOTE),
        ),
        Transition(
            name="apology",
            sources=ACTIVE_STATES,
            target=None,
            permissions=frozenset({_P.ISSUE_APOLOGY, _P.PROCESS}),
            label=gettext_lazy("Lập phiếu xin lỗi và hẹn lại ngày trả kết quả"),
            guard=_apology_guard,
            fields=(
                _REASON,
                F(name="new_due_at", type="datetime", required=True, label=gettext_lazy("Ngày hẹn trả mới")),
            ),
        ),
        Transition(
            name="stop",
            sources=OPEN_STATES,
            target=_S.STOPPED,
            permissions=frozenset({_P.APPROVE}),
            label=gettext_lazy("Dừng xử lý hồ sơ"),
            fields=(_REASON,),
        ),
        Transition(
            name="withdraw_accept",
            sources=frozenset({_S.WITHDRAWAL_REQUESTED}),
            target=_S.WITHDRAWN,
            permissions=frozenset({_P.RECEIVE, _P.APPROVE}),
            label=gettext_lazy("Chấp nhận rút hồ sơ"),
            fields=(_NOTE,),
        ),
        Transition(
            name="withdraw_reject",
            sources=frozenset({_S.WITHDRAWAL_REQUESTED}),
            target=None,
            permissions=frozenset({_P.RECEIVE, _P.APPROVE}),
            label=gettext_lazy("Không chấp nhận rút hồ sơ"),
            fields=(_REASON,),
        ),
        Transition(
            name="return_result",
            sources=frozenset({_S.RESOLVED}),
            target=_S.RETURNED,
            permissions=frozenset({_P.RETURN_RESULT}),
            label=gettext_lazy("Trả kết quả"),
            fields=(
                F(
                    name="method",
                    type="choice",
                    required=True,
                    choices=("counter", "post", "online"),
                    label=gettext_lazy("Hình thức trả kết quả"),
                ),
                F(name="recipient", type="text", required=False, label=gettext_lazy("Người nhận kết quả")),
                F(name="tracking_number", type="text", required=False, label=gettext_lazy("Số hiệu bưu gửi")),
                _NOTE,
            ),
        ),
    )
}


def transition_get(name: str) -> Transition:
    return TRANSITIONS[name]


def _allowed(user, transition: Transition, dossier: Dossier) -> bool:
    perms: set[str] = set()
    agency_ids = transition.agencies(dossier) if transition.agencies else [dossier.receiving_agency_id]
    for agency_id in agency_ids:
        perms |= portal_selectors.officer_permissions(user=user, agency_id=agency_id)
    return bool(perms & transition.permissions)


def transition_open(*, user, dossier: Dossier, name: str) -> bool:
    """Whether ``user`` may perform transition ``name`` on ``dossier`` as it is now (no lock; for offering it)."""
    transition = TRANSITIONS[name]
    if dossier.state not in transition.sources or not _allowed(user, transition, dossier):
        return False
    if transition.guard is not None:
        try:
            transition.guard(user=user, dossier=dossier)
        except (PermissionDenied, ValidationError):
            return False
    return True


def invalid_state_error(transition: Transition, dossier: Dossier) -> ValidationError:
    return ValidationError(
        _("Không thể thực hiện thao tác “%(action)s”: hồ sơ %(code)s đang ở trạng thái “%(state)s”.")
        % {"action": transition.label, "code": dossier.code or "", "state": dossier.get_state_display()},
        code="invalid_state",
    )


def _transition(
    *,
    user,
    dossier_id: int,
    name: str,
    note: str = "",
    payload: dict | None = None,
    check: Callable[[Dossier], None] | None = None,
    apply: Callable[[Dossier], list[str]] | None = None,
    after_commit: Callable[[Dossier], None] | None = None,
) -> Dossier:
    """Run transition ``name`` on the dossier for ``user``.

    ``check(dossier)`` validates the input against the locked dossier and raises
    ``ValidationError`` (before anything is written); ``apply(dossier)`` sets the fields the
    transition changes besides the state (and the state itself when the transition's target
    is ``None``) and returns their names for ``update_fields``; ``after_commit(dossier)`` runs
    once the transaction has committed.

    Raises ``PermissionDenied`` when the user lacks the transition's permission for the
    dossier's agency (an unknown dossier answers the same way), and ``ValidationError`` with
    code ``invalid_state`` when the dossier's current state does not allow the transition.
    """
    transition = TRANSITIONS[name]
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version", "receiving_agency", "applicant")
            .filter(pk=dossier_id)
            .first()
        )
        if dossier is None or not _allowed(user, transition, dossier):
            raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))
        if dossier.state not in transition.sources:
            raise invalid_state_error(transition, dossier)
        if transition.guard is not None:
            transition.guard(user=user, dossier=dossier)
        if check is not None:
            check(dossier)
        from_state, from_code = dossier.state, dossier.status_code
        if transition.target is not None:
            dossier.state = transition.target
        fields = apply(dossier) if apply is not None else []
        dossier.save(update_fields=["state", "updated_at", "current_step", "step_role", *fields])
        event = event_append(
            dossier=dossier,
            action=transition.name,
            actor=user,
            from_state=from_state,
            to_state=dossier.state,
            note=note,
            payload=payload,
        )
        if STATUS_CODE[dossier.state] != from_code or transition.name in ("apology", "request_supplement"):
            transaction.on_commit(lambda: dossier_notify_status(dossier, note=note, action=transition.name))
        transaction.on_commit(
            lambda: slip_enqueue_for_transition(dossier_id=dossier.pk, action=transition.name, event_seq=event.seq)
        )
        if after_commit is not None:
            transaction.on_commit(lambda: after_commit(dossier))
    return dossier
