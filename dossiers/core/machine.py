"""The dossier's state machine: the one table of every state change and the one runner.

Every change of a dossier's state or record — the applicant's (nộp, bổ sung, xin rút, đánh
giá), the officers' (tiếp nhận, phân công, đề xuất, phê duyệt, trả kết quả, ...) and the
system's (a payment settled by the gateway) — is a row of ``TRANSITIONS``: the states it may
start from, the state it leads to (``None``: the service decides, e.g. back to where the
dossier was), who performs it (``performer``: an officer holding one of ``permissions`` for
the agencies concerned, the applicant, or the system), an optional guard, the event action
it records, the slip it issues, whom it notifies, and the fields an API client or a page
needs to perform it.

A service performs a row through ``transition_run``, which reads top to bottom: lock the
dossier row, check the performer, the state and the guard under the lock, run the service's
own check, apply its changes, save, write the hash-chained event in the same transaction, and
enqueue the effects on commit (the applicant's status notice, the slip). A refused transition
raises before anything is written; two people acting at once are serialised by the row lock,
so the second one sees the new state and is refused (``invalid_state``, HTTP 409 in the API).
"""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import FINAL_STATES, STATUS_CODE, DossierState, Outcome, Rating, ReturnMethod, SlipKind
from dossiers.core import access, fees, pipelines
from dossiers.core.apology import apology_rule_for
from dossiers.core.events import event_append
from dossiers.core.notices import dossier_notify_status
from dossiers.core.steps import ROLE_HEAD, ROLE_LEADER, ROLE_SPECIALIST, step_current_role
from dossiers.models import Dossier
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from procedures import selectors as procedure_selectors

_S = DossierState
_P = OfficerPermission

# States in which the dossier is being processed by the agency (the clock runs).
ACTIVE_STATES = frozenset({_S.RECEIVED, _S.PROCESSING, _S.CONSULTING, _S.PENDING_APPROVAL})
OPEN_STATES = ACTIVE_STATES | {_S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUESTED}

ALL_STATES = frozenset(DossierState.values)

Guard = Callable[..., None]

# Who performs a row.
OFFICER = "officer"  # an officer holding one of the row's permissions for the agencies concerned
APPLICANT = "applicant"  # the applicant, or a member of the applicant organisation now
SYSTEM = "system"  # the portal itself on a verified outside signal (the payment gateway): no user

# Whom a row notifies on commit.
NOTIFY_ON_STATUS = "status"  # the applicant, when the national status code changes
NOTIFY_ALWAYS = "always"  # the applicant, whatever the status (it lists items, a reason, a date)
NOTIFY_NEVER = "never"  # nobody (the submission's notice comes with its acknowledgement)


@dataclass(frozen=True)
class Transition:
    name: str  # the name services run and ``dossiers.actions`` offers
    sources: frozenset[str]
    target: str | None
    label: str
    performer: str = OFFICER
    permissions: frozenset[str] = frozenset()
    guard: Guard | None = None
    fields: tuple[dict, ...] = field(default_factory=tuple)
    # The agencies whose officers' permissions count; by default the receiving agency.
    agencies: Callable[[Dossier], list[int]] | None = None
    # The action the event records; by default the name.
    event: str = ""
    # The official slip the row issues (rendered in the pdf queue on commit).
    slip: str = ""
    notify: str = NOTIFY_ON_STATUS
    # The refusal when the dossier is in none of ``sources`` (default: the generic one).
    refusal: Callable[[Dossier], str] | None = None
    # An idempotent row: when ``done(dossier)`` holds under the lock, the runner returns the
    # dossier unchanged (a double click, a retried request), writing nothing.
    done: Callable[[Dossier], bool] | None = None

    @property
    def action(self) -> str:
        return self.event or self.name


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


def hand_over_agencies(dossier: Dossier) -> list:
    """The agencies a Public Administration Service Centre may hand the dossier over to (receipt
    anywhere in the province, Decree 118/2025/NĐ-CP; ``procedures.rulebook.RECEIPT_ANYWHERE_ARTICLE``):
    the agencies of its province that decide the procedure. Empty for any other dossier: one
    not received by a centre, already handed over, of a procedure the centre decides itself, or
    under a rule set without receipt anywhere (before 1 July 2025)."""
    agency = dossier.receiving_agency
    if dossier.reception_centre_id is not None or not agency.is_service_centre:
        return []
    if not procedure_selectors.rule_set_at(dossier.rules_moment).receipt_anywhere:
        return []
    return procedure_selectors.centre_hand_over_agencies(centre=agency, procedure_id=dossier.procedure_id)


def awaiting_hand_over(dossier: Dossier) -> bool:
    """A dossier a centre received for another agency and has not handed over yet."""
    return dossier.receiving_agency.is_service_centre and bool(hand_over_agencies(dossier))


def _hand_over_guard(*, user, dossier: Dossier) -> None:
    if not awaiting_hand_over(dossier):
        raise ValidationError(
            _("Hồ sơ %(code)s không phải hồ sơ Trung tâm Phục vụ hành chính công tiếp nhận thay cơ quan khác.")
            % {"code": dossier.code},
            code="invalid_state",
        )


def _not_awaiting_hand_over(*, user, dossier: Dossier) -> None:
    # The centre receives; the deciding agency processes once the dossier is handed over.
    if dossier.receiving_agency.is_service_centre and awaiting_hand_over(dossier):
        raise ValidationError(
            _("Hồ sơ %(code)s cần được chuyển đến cơ quan có thẩm quyền giải quyết trước khi phân công xử lý.")
            % {"code": dossier.code},
            code="invalid_state",
        )


def _return_agencies(dossier: Dossier) -> list[int]:
    """The desks that return a result: the deciding agency's, and the centre's that received it."""
    if dossier.reception_centre_id is None:
        return [dossier.receiving_agency_id]
    return [dossier.receiving_agency_id, dossier.reception_centre_id]


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
    apology_in_time(dossier=dossier)
    if not dossier_due_soon_or_late(dossier=dossier):
        raise ValidationError(
            _("Chỉ lập phiếu xin lỗi khi hồ sơ còn dưới một ngày làm việc đến hạn trả kết quả."),
            code="invalid_state",
        )


def apology_in_time(*, dossier: Dossier, now=None) -> None:
    """The apology letter is issued before the current appointment has passed (and at least the
    rule's lead time before it, in working minutes): else ``invalid_state``, nothing changes."""
    now = now or timezone.now()
    rule = apology_rule_for(dossier)
    left = (
        procedure_selectors.working_minutes_between(agency=dossier.receiving_agency, start=now, end=dossier.due_at)
        if now < dossier.due_at
        else -1
    )
    if now >= dossier.due_at or left < rule.lead_working_minutes:
        raise ValidationError(
            _(
                "Phiếu xin lỗi và hẹn lại phải được lập trước khi hết hạn trả kết quả (%(due)s); hồ sơ %(code)s đã"
                " quá thời điểm này (%(basis)s)."
            )
            % {
                "due": timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y"),
                "code": dossier.code,
                "basis": rule.basis,
            },
            code="invalid_state",
        )


def dossier_due_soon_or_late(*, dossier: Dossier, now=None) -> bool:
    """Whether the dossier is due within one working day (or is already overdue)."""
    if dossier.due_at is None:
        return False
    now = now or timezone.now()
    horizon = procedure_selectors.add_working_minutes(
        agency=dossier.receiving_agency,
        moment=procedure_selectors.next_working_moment(agency=dossier.receiving_agency, moment=now),
        minutes=8 * 60,
    )
    return dossier.due_at <= horizon


def _payment_guard(*, user, dossier: Dossier) -> None:
    if not fees.fees_before_result(dossier=dossier):
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
    return access.consultation_open_agency_ids(dossier=dossier)


# The permissions that answer a consultation for the agency asked (the row ``consult_reply``).
CONSULT_REPLY_PERMISSIONS = frozenset({_P.PROCESS, _P.ASSIGN, _P.APPROVE})


def consultations_open_for_officer(*, user, dossier: Dossier) -> list:
    """Open consultations of the dossier addressed to an agency where ``user`` may answer."""
    return access.consultations_open_for_officer(user=user, dossier=dossier, permissions=CONSULT_REPLY_PERMISSIONS)


def _consult_reply_guard(*, user, dossier: Dossier) -> None:
    if not consultations_open_for_officer(user=user, dossier=dossier):
        raise PermissionDenied(_("Không có yêu cầu xin ý kiến nào gửi cơ quan của bạn đang chờ trả lời."))


def _draft_owner(*, user, dossier: Dossier) -> None:
    # A draft is submitted by the member who wrote it, even for an organisation.
    if dossier.applicant_id is not None and dossier.applicant_id != user.pk:
        raise PermissionDenied(_("Bạn không có quyền sửa hồ sơ này."))


def _not_rated(*, user, dossier: Dossier) -> None:
    if dossier.rated_at is not None or dossier.rating:
        raise ValidationError(_("Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần."), code="invalid_state")


def _withdraw_refusal(dossier: Dossier) -> str:
    if dossier.state == _S.DRAFT:
        return _("Hồ sơ chưa nộp: bạn có thể xoá bản nháp thay vì rút hồ sơ.")
    if dossier.state == _S.WITHDRAWAL_REQUESTED:
        return _("Bạn đã gửi yêu cầu rút hồ sơ này, vui lòng chờ cơ quan xử lý.")
    return _("Hồ sơ đã kết thúc, không thể rút.")


# A field an action needs: name, type, required, label; ``to_applicant``: sent to the applicant;
# a ``choice`` field lists its ``choices`` as (value, label); the values of a field of type
# officer, department or agency are listed for the caller (``dossiers.selectors.action_field_choices``;
# ``choices_from`` names the list when a kind has more than one: the hand-over's agencies).
F = dict
# An officer's note is internal; what the applicant is told is a field of its own (core.notes).
_NOTE = F(name="note", type="text", required=False, label=gettext_lazy("Ghi chú nội bộ (không gửi người nộp)"))
_MESSAGE = F(
    name="message", type="text", required=False, to_applicant=True, label=gettext_lazy("Nội dung gửi người nộp hồ sơ")
)
_REASON = F(
    name="reason", type="text", required=True, to_applicant=True, label=gettext_lazy("Lý do (gửi người nộp hồ sơ)")
)
_REASON_INTERNAL = F(
    name="reason", type="text", required=True, label=gettext_lazy("Lý do (nội bộ, không gửi người nộp)")
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            name="receive",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.RECEIVED,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Tiếp nhận hồ sơ"),
            slip=SlipKind.RECEIPT,
            fields=(_MESSAGE, _NOTE),
        ),
        Transition(
            name="request_supplement",
            sources=frozenset({_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING}),
            target=_S.SUPPLEMENT_REQUESTED,
            permissions=frozenset({_P.RECEIVE, _P.PROCESS}),
            label=gettext_lazy("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
            guard=_supplement_guard,
            slip=SlipKind.SUPPLEMENT,
            notify=NOTIFY_ALWAYS,
            fields=(
                F(
                    name="items",
                    type="list",
                    required=True,
                    to_applicant=True,
                    label=gettext_lazy(
                        "Danh sách nội dung cần bổ sung, mỗi mục nêu giấy tờ hoặc trường của tờ khai và lý do"
                    ),
                ),
                _MESSAGE,
                _NOTE,
            ),
        ),
        Transition(
            name="refuse",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.REFUSED,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Từ chối tiếp nhận hồ sơ"),
            slip=SlipKind.REFUSAL,
            fields=(_REASON, _NOTE),
        ),
        Transition(
            name="hand_over",
            sources=frozenset({_S.RECEIVED}),
            target=None,  # still received, now by the deciding agency
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết"),
            guard=_hand_over_guard,
            # The status does not change (2, received): the applicant's tracking shows where it is.
            notify=NOTIFY_NEVER,
            fields=(
                F(
                    name="agency",
                    type="agency",
                    choices_from="hand_over",
                    required=True,
                    label=gettext_lazy("Cơ quan có thẩm quyền giải quyết"),
                ),
                _NOTE,
            ),
        ),
        Transition(
            name="assign",
            sources=frozenset({_S.RECEIVED}),
            target=_S.PROCESSING,
            permissions=frozenset({_P.ASSIGN}),
            label=gettext_lazy("Phân công xử lý"),
            guard=_not_awaiting_hand_over,
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
                    choices=(("grant", Outcome.GRANTED.label), ("decline", Outcome.DECLINED.label)),
                    label=gettext_lazy("Đề xuất"),
                ),
                F(name="result_title", type="text", required=False, label=gettext_lazy("Tên kết quả")),
                F(name="result_file", type="file", required=False, label=gettext_lazy("Dự thảo kết quả (PDF)")),
                F(
                    name="generate",
                    type="boolean",
                    required=False,
                    label=gettext_lazy("Tạo dự thảo kết quả từ mẫu thay vì tải lên"),
                ),
                F(
                    name="reason",
                    type="text",
                    required=False,
                    to_applicant=True,
                    label=gettext_lazy("Lý do từ chối, ghi trong văn bản trả lời người nộp (khi đề xuất từ chối)"),
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
            fields=(_REASON_INTERNAL,),
        ),
        Transition(
            name="consult",
            sources=frozenset({_S.PROCESSING, _S.CONSULTING}),
            target=_S.CONSULTING,
            permissions=frozenset({_P.PROCESS}),
            label=gettext_lazy("Lấy ý kiến cơ quan liên quan"),
            guard=_assignee_only,
            fields=(
                F(name="agency", type="agency", required=True, label=gettext_lazy("Cơ quan được xin ý kiến")),
                F(name="question", type="text", required=True, label=gettext_lazy("Nội dung xin ý kiến")),
                F(name="days", type="integer", required=True, label=gettext_lazy("Thời hạn trả lời (ngày làm việc)")),
                F(
                    name="documents",
                    type="documents",
                    required=False,
                    label=gettext_lazy("Giấy tờ gửi kèm (không chọn: gửi mọi giấy tờ hiện có của hồ sơ)"),
                ),
            ),
        ),
        Transition(
            name="consult_reply",
            sources=frozenset({_S.CONSULTING}),
            target=None,
            permissions=CONSULT_REPLY_PERMISSIONS,
            label=gettext_lazy("Trả lời xin ý kiến"),
            guard=_consult_reply_guard,
            agencies=_consulted_agencies,
            fields=(
                F(name="consultation", type="integer", required=True, label=gettext_lazy("Yêu cầu xin ý kiến")),
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
            fields=(_MESSAGE, _NOTE),
        ),
        Transition(
            name="decline",
            sources=frozenset({_S.PENDING_APPROVAL}),
            target=_S.RESOLVED,
            permissions=frozenset({_P.APPROVE}),
            label=gettext_lazy("Từ chối giải quyết hồ sơ"),
            guard=_not_at_head_review,
            fields=(_REASON, _NOTE),
        ),
        Transition(
            name="request_payment",
            sources=frozenset({_S.PROCESSING, _S.PENDING_APPROVAL, _S.RESOLVED}),
            target=_S.PAYMENT_REQUESTED,
            permissions=frozenset({_P.RECEIVE, _P.PROCESS, _P.APPROVE}),
            label=gettext_lazy("Yêu cầu thực hiện nghĩa vụ tài chính"),
            guard=_payment_guard,
            fields=(_MESSAGE, _NOTE),
        ),
        Transition(
            name="payment_received",
            sources=frozenset({_S.PAYMENT_REQUESTED}),
            target=None,
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Xác nhận đã thu phí, lệ phí"),
            fields=(
                F(name="reference", type="text", required=False, label=gettext_lazy("Số biên lai")),
                _MESSAGE,
                _NOTE,
            ),
        ),
        Transition(
            name="apology",
            sources=ACTIVE_STATES,
            target=None,
            permissions=frozenset({_P.ISSUE_APOLOGY, _P.PROCESS}),
            label=gettext_lazy("Lập phiếu xin lỗi và hẹn lại ngày trả kết quả"),
            guard=_apology_guard,
            slip=SlipKind.APOLOGY,
            notify=NOTIFY_ALWAYS,
            fields=(
                _REASON,
                F(name="new_due_at", type="datetime", required=True, label=gettext_lazy("Ngày hẹn trả mới")),
                _NOTE,
            ),
        ),
        Transition(
            name="stop",
            sources=OPEN_STATES,
            target=_S.STOPPED,
            permissions=frozenset({_P.APPROVE}),
            label=gettext_lazy("Dừng xử lý hồ sơ"),
            # Form 05 of Circular 03/2025/TT-VPCP (thông báo dừng giải quyết hồ sơ), with the
            # reason; a dossier under the 2018 rules, which have no such form, gets none.
            slip=SlipKind.STOP_NOTICE,
            fields=(_REASON, _NOTE),
        ),
        Transition(
            name="withdraw_accept",
            sources=frozenset({_S.WITHDRAWAL_REQUESTED}),
            target=_S.WITHDRAWN,
            permissions=frozenset({_P.RECEIVE, _P.APPROVE}),
            label=gettext_lazy("Chấp nhận rút hồ sơ"),
            fields=(_MESSAGE, _NOTE),
        ),
        Transition(
            name="withdraw_reject",
            sources=frozenset({_S.WITHDRAWAL_REQUESTED}),
            target=None,
            permissions=frozenset({_P.RECEIVE, _P.APPROVE}),
            label=gettext_lazy("Không chấp nhận rút hồ sơ"),
            fields=(_REASON, _NOTE),
        ),
        Transition(
            name="return_result",
            sources=frozenset({_S.RESOLVED}),
            target=_S.RETURNED,
            permissions=frozenset({_P.RETURN_RESULT}),
            # After a hand-over, the centre that received the dossier returns it too.
            agencies=_return_agencies,
            label=gettext_lazy("Trả kết quả"),
            fields=(
                F(
                    name="method",
                    type="choice",
                    required=True,
                    choices=tuple(ReturnMethod.choices),
                    label=gettext_lazy("Hình thức trả kết quả"),
                ),
                F(name="recipient", type="text", required=False, label=gettext_lazy("Người nhận kết quả")),
                F(name="tracking_number", type="text", required=False, label=gettext_lazy("Số hiệu bưu gửi")),
                _MESSAGE,
                _NOTE,
            ),
        ),
        # --- the applicant's rows -------------------------------------------------------------
        Transition(
            name="submit",
            sources=frozenset({_S.DRAFT}),
            target=None,  # submitted, or waiting for the online payment due at submission
            performer=APPLICANT,
            label=gettext_lazy("Nộp hồ sơ"),
            guard=_draft_owner,
            done=lambda dossier: dossier.state != _S.DRAFT,
            notify=NOTIFY_NEVER,  # the acknowledgement's task records the notice and mails the slip
        ),
        Transition(
            name="supplement_submit",
            sources=frozenset({_S.SUPPLEMENT_REQUESTED}),
            target=None,  # back to the state the request was made in
            performer=APPLICANT,
            label=gettext_lazy("Bổ sung hồ sơ"),
            event="supplement_submitted",
            notify=NOTIFY_ALWAYS,
            refusal=lambda dossier: _("Hồ sơ không ở trạng thái yêu cầu bổ sung."),
            fields=(
                F(
                    name="documents",
                    type="files",
                    required=False,
                    label=gettext_lazy("Giấy tờ bổ sung theo thành phần"),
                ),
                F(name="form_data", type="object", required=False, label=gettext_lazy("Nội dung tờ khai sửa đổi")),
                _NOTE,
            ),
        ),
        Transition(
            name="withdraw_request",
            sources=ALL_STATES - FINAL_STATES - {_S.DRAFT, _S.WITHDRAWAL_REQUESTED},
            target=None,  # withdrawn at once before reception, else the agency decides
            performer=APPLICANT,
            label=gettext_lazy("Rút hồ sơ"),
            event="withdraw_requested",
            notify=NOTIFY_ALWAYS,
            refusal=_withdraw_refusal,
            fields=(_REASON,),
        ),
        Transition(
            name="rate",
            sources=frozenset({_S.RETURNED}),
            target=None,
            performer=APPLICANT,
            label=gettext_lazy("Đánh giá mức độ hài lòng"),
            guard=_not_rated,
            event="rated",
            notify=NOTIFY_NEVER,
            refusal=lambda dossier: _("Chỉ đánh giá được hồ sơ đã trả kết quả."),
            fields=(
                F(
                    name="rating",
                    type="choice",
                    required=True,
                    choices=tuple(Rating.choices),
                    label=gettext_lazy("Mức độ hài lòng"),
                ),
                F(name="comment", type="text", required=False, label=gettext_lazy("Ý kiến")),
            ),
        ),
        # --- the counter's and the system's rows ----------------------------------------------
        Transition(
            name="submit_at_counter",
            sources=frozenset({_S.DRAFT}),
            target=_S.SUBMITTED,
            permissions=frozenset({_P.COUNTER_INTAKE}),
            label=gettext_lazy("Nhận hồ sơ trực tiếp hoặc qua bưu chính"),
            event="submit",
            notify=NOTIFY_NEVER,  # received in the same transaction, which notifies
        ),
        Transition(
            name="payment_settle",
            sources=frozenset({_S.PAYMENT_REQUESTED}),
            target=None,  # back to where the dossier waited from
            performer=SYSTEM,
            label=gettext_lazy("Thanh toán trực tuyến thành công"),
            event="payment_received",
        ),
        Transition(
            name="payment_refund",
            sources=ALL_STATES - {_S.DRAFT},
            target=None,  # a record only: the state does not change
            permissions=frozenset({_P.RECEIVE}),
            label=gettext_lazy("Ghi nhận hoàn tiền"),
            event="payment_refunded",
            notify=NOTIFY_NEVER,
        ),
    )
}


def _allowed(user, transition: Transition, dossier: Dossier) -> bool:
    if transition.performer == SYSTEM:
        return user is None
    if user is None:
        return False
    if transition.performer == APPLICANT:
        return access.dossier_applicant_can_view(user=user, dossier=dossier)
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
    if transition.refusal is not None:
        return ValidationError(transition.refusal(dossier), code="invalid_state")
    return ValidationError(
        _("Không thể thực hiện thao tác “%(action)s”: hồ sơ %(code)s đang ở trạng thái “%(state)s”.")
        % {"action": transition.label, "code": dossier.code or "", "state": dossier.get_state_display()},
        code="invalid_state",
    )


def _denied(transition: Transition) -> PermissionDenied:
    if transition.performer == APPLICANT:
        return PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))
    return PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))


def _locked(dossier_id: int) -> Dossier | None:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure_version", "receiving_agency", "reception_centre", "applicant", "organisation")
        .filter(pk=dossier_id)
        .first()
    )


def _answers_reception(transition: Transition, from_state: str, dossier: Dossier) -> bool:
    """Whether this change is reception's answer to an online dossier waiting for it (received,
    refused, supplement asked): the end of its 8-working-hour reception clock."""
    return (
        transition.performer == OFFICER
        and from_state == _S.SUBMITTED
        and dossier.state != _S.SUBMITTED
        and dossier.reception_due_at is not None
        and dossier.reception_answered_at is None
    )


def transition_run(
    *,
    name: str,
    user,
    dossier_id: int | None = None,
    dossier: Dossier | None = None,
    note: str = "",
    public_note: str = "",
    payload: dict | None = None,
    check: Callable[[Dossier], None] | None = None,
    apply: Callable[[Dossier], list[str] | None] | None = None,
    effects: Callable[[Dossier], None] | None = None,
) -> Dossier:
    """Run the row ``name`` of the table on a dossier for ``user`` (None for the system's rows).

    The dossier is ``dossier_id``, locked here; or ``dossier`` when the caller already holds it
    in its transaction (locked, or a new row not saved yet, which this inserts). ``check(dossier)``
    validates the input against the locked dossier and raises ``ValidationError`` before
    anything is written; ``apply(dossier)`` sets the fields the transition changes besides the
    state (and the state itself when the row's target is ``None``) and returns their names for
    ``update_fields`` (``None``: save every field); ``effects(dossier)`` records the row's own
    side effects (notices, pipelines: through the outbox) in the same transaction, after the
    event, so they are sent exactly when it commits.

    ``note`` is the performer's note: internal on an officer's (or the system's) row, the
    applicant's own words on the applicant's rows; ``public_note`` is what an officer's row tells
    the applicant (``dossiers.core.notes``), the only text of the row its notices carry.

    Raises ``PermissionDenied`` when the user is not the row's performer for the dossier (an
    unknown dossier answers the same way), and ``ValidationError`` with code ``invalid_state``
    when the dossier's current state does not allow the transition.
    """
    transition = TRANSITIONS[name]
    if dossier is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition_run(dossier=...) needs the caller's transaction holding the row")
    # With the caller's row, the caller's transaction is the unit (no savepoint of its own).
    with transaction.atomic() if dossier is None else nullcontext():
        if dossier is None:
            dossier = _locked(dossier_id) if dossier_id is not None else None
        if dossier is None or not _allowed(user, transition, dossier):
            raise _denied(transition)
        if transition.done is not None and transition.done(dossier):
            return dossier
        if dossier.state not in transition.sources:
            raise invalid_state_error(transition, dossier)
        if transition.guard is not None:
            transition.guard(user=user, dossier=dossier)
        if check is not None:
            check(dossier)
        new = dossier.pk is None
        from_state, from_code = dossier.state, dossier.status_code
        if transition.target is not None:
            dossier.state = transition.target
        fields = apply(dossier) if apply is not None else []
        if _answers_reception(transition, from_state, dossier):
            dossier.reception_answered_at = timezone.now()
            fields = None if fields is None else [*fields, "reception_answered_at"]
        if new:
            dossier.save(force_insert=True)
        elif fields is None:
            dossier.save()
        else:
            dossier.save(update_fields=["state", "updated_at", "current_step", "step_role", *fields])
        by_applicant = transition.performer == APPLICANT
        event = event_append(
            dossier=dossier,
            action=transition.action,
            actor=user,
            from_state=from_state,
            to_state=dossier.state,
            note=note,
            public_note=None if by_applicant else public_note,
            payload=payload,
            first=new,
        )
        told = note if by_applicant else public_note
        _effects(transition, dossier, from_code=from_code, note=told, event_seq=event.seq)
        if effects is not None:
            effects(dossier)
    return dossier


def _effects(transition: Transition, dossier: Dossier, *, from_code, note: str, event_seq: int) -> None:
    """The row's effects, recorded in its transaction (the notice and its deliveries, the
    slip's pipeline in the outbox) and sent once it commits: the applicant's notice (with
    ``note``, the text for the applicant, never an officer's internal note) and the slip. A
    crash between the commit and the sending loses neither: the outbox sends them again."""
    changed = STATUS_CODE[dossier.state] != from_code
    if transition.notify == NOTIFY_ALWAYS or (transition.notify == NOTIFY_ON_STATUS and changed):
        dossier_notify_status(dossier, note=note, action=transition.action)
    if transition.slip:
        pipelines.official_slip_enqueue(
            dossier_id=dossier.pk, kind=transition.slip, event_seq=event_seq, agency_id=dossier.receiving_agency_id
        )
