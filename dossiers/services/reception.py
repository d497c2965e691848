"""Reception (tiếp nhận) at the one-stop shop: receive, request a supplement, refuse.

The reception officer checks an online dossier waiting in the queue. Complete: it is
received, and the clock starts (online dossiers received outside working hours count from the
start of the next working period). Incomplete: one supplement request (yêu cầu bổ sung) lists
every missing or wrong item with its reason. Not eligible: it is refused with the reason.
Each is a transition of ``dossiers.core.machine`` and is offered through the actions registry.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import Channel, DossierState, StepOutcome
from dossiers.core.clock import reception_deadline
from dossiers.core.machine import awaiting_hand_over, hand_over_agencies, transition_run
from dossiers.core.steps import step_index_after, step_move, step_open
from dossiers.core.text import text_clean
from dossiers.models import Dossier
from procedures import selectors as procedure_selectors

NOTE_MAX_LENGTH = 2000
REFUSE_REASON_MIN_LENGTH = 5
REFUSE_REASON_MAX_LENGTH = 2000
SUPPLEMENT_REASON_MAX_LENGTH = 1000
SUPPLEMENT_MAX_ITEMS = 50


def note_clean(note) -> str:
    """An officer's optional note on a reception step."""
    return text_clean(
        note,
        field="note",
        maximum=NOTE_MAX_LENGTH,
        too_long=_("Ghi chú tối đa %(max)d ký tự.") % {"max": NOTE_MAX_LENGTH},
    )


def message_clean(message) -> str:
    """An officer's optional message to the applicant (nội dung gửi người nộp hồ sơ)."""
    return text_clean(
        message,
        field="message",
        maximum=NOTE_MAX_LENGTH,
        too_long=_("Nội dung gửi người nộp hồ sơ tối đa %(max)d ký tự.") % {"max": NOTE_MAX_LENGTH},
    )


def dossier_receive(
    *, user, dossier_id: int, note: str = "", message: str = "", now: dt.datetime | None = None
) -> Dossier:
    """Receive a submitted dossier: ``received_at`` and the appointment (``due_at``) are set.

    ``note`` is internal; ``message`` is told to the applicant."""
    note = note_clean(note)
    message = message_clean(message)
    now = now or timezone.now()
    payload: dict = {}

    def apply(dossier: Dossier) -> list[str]:
        agency = dossier.receiving_agency
        received_at = now
        if dossier.channel == Channel.ONLINE:
            received_at = procedure_selectors.next_working_moment(agency=agency, moment=now)
        dossier.received_at = received_at
        dossier.due_at = procedure_selectors.version_due_datetime(
            version=dossier.procedure_version, agency=agency, received_at=received_at
        )
        payload.update(received_at=dossier.received_at.isoformat(), due_at=dossier.due_at.isoformat())
        # The reception step ran from submission to now; the next step of the template starts.
        step_open(dossier=dossier, index=0, now=min(dossier.submitted_at or now, now), assignee=user)
        if not awaiting_hand_over(dossier):
            step_move(dossier=dossier, user=user, now=now, index=step_index_after(dossier, 0), outcome=StepOutcome.DONE)
        # A centre receiving for another agency keeps the reception step until its hand-over.
        return ["received_at", "due_at"]

    return transition_run(
        user=user, dossier_id=dossier_id, name="receive", note=note, public_note=message, payload=payload, apply=apply
    )


def _supplement_items_shape(items) -> list[dict]:
    """Normalise the items (``requirement_id``, ``field``, ``reason``) without the dossier; errors per item."""
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": [_("Vui lòng nêu ít nhất một giấy tờ hoặc nội dung cần bổ sung, kèm lý do.")]})
    if len(items) > SUPPLEMENT_MAX_ITEMS:
        raise ValidationError(
            {"items": [_("Một yêu cầu bổ sung có tối đa %(max)d nội dung.") % {"max": SUPPLEMENT_MAX_ITEMS}]}
        )
    errors: dict[str, list] = {}
    cleaned: list[dict] = []
    for index, raw in enumerate(items):
        key = f"items[{index}]"
        if not isinstance(raw, dict):
            errors[key] = [_("Mỗi nội dung cần bổ sung phải là một đối tượng gồm giấy tờ hoặc trường và lý do.")]
            continue
        requirement_id = raw.get("requirement_id")
        if requirement_id in ("", None):
            requirement_id = None
        elif isinstance(requirement_id, bool) or not str(requirement_id).isdigit():
            errors[f"{key}.requirement_id"] = [_("Mã thành phần hồ sơ không hợp lệ.")]
        else:
            requirement_id = int(requirement_id)
        field = raw.get("field") or None
        if field is not None and not isinstance(field, str):
            errors[f"{key}.field"] = [_("Tên trường không hợp lệ.")]
        reason = raw.get("reason")
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            errors[f"{key}.reason"] = [_("Vui lòng nêu lý do cần bổ sung, hoàn thiện.")]
        elif len(reason) > SUPPLEMENT_REASON_MAX_LENGTH:
            errors[f"{key}.reason"] = [_("Lý do tối đa %(max)d ký tự.") % {"max": SUPPLEMENT_REASON_MAX_LENGTH}]
        cleaned.append({"requirement_id": requirement_id, "field": field, "reason": reason})
    if errors:
        raise ValidationError(errors)
    return cleaned


def dossier_request_supplement(*, user, dossier_id: int, items, note: str = "", message: str = "") -> Dossier:
    """Ask the applicant, in one request, for every missing or wrong item, each with its reason.

    ``items``: ``[{"requirement_id": int | None, "field": str | None, "reason": str}]``; a
    requirement must belong to the dossier's procedure version and a field to its form. The
    clock pauses (``paused_at``) until the applicant answers. The items and ``message`` go to
    the applicant (form 02, the notice); ``note`` is internal.
    """
    note = note_clean(note)
    message = message_clean(message)
    cleaned = _supplement_items_shape(items)

    def check(dossier: Dossier) -> None:
        requirement_ids = set(dossier.procedure_version.documents.values_list("pk", flat=True))
        field_names = {f.get("name") for f in (dossier.procedure_version.form_schema or {}).get("fields", [])}
        errors: dict[str, list] = {}
        for index, item in enumerate(cleaned):
            if item["requirement_id"] is not None and item["requirement_id"] not in requirement_ids:
                errors[f"items[{index}].requirement_id"] = [_("Thành phần hồ sơ này không thuộc thủ tục của hồ sơ.")]
            if item["field"] is not None and item["field"] not in field_names:
                errors[f"items[{index}].field"] = [_("Trường này không có trong tờ khai của thủ tục.")]
        if errors:
            raise ValidationError(errors)

    def apply(dossier: Dossier) -> list[str]:
        dossier.paused_at = timezone.now()
        return ["paused_at"]

    return transition_run(
        user=user,
        dossier_id=dossier_id,
        name="request_supplement",
        note=note,
        public_note=message,
        payload={"items": cleaned},
        check=check,
        apply=apply,
    )


def dossier_refuse(*, user, dossier_id: int, reason: str, note: str = "") -> Dossier:
    """Refuse a submitted dossier (không được tiếp nhận), with the reason given to the applicant
    (``note``: internal)."""
    note = note_clean(note)
    reason = text_clean(
        reason,
        field="reason",
        required=True,
        minimum=REFUSE_REASON_MIN_LENGTH,
        maximum=REFUSE_REASON_MAX_LENGTH,
        message=_("Vui lòng nêu lý do từ chối tiếp nhận (ít nhất %(min)d ký tự).") % {"min": REFUSE_REASON_MIN_LENGTH},
        too_long=_("Lý do từ chối tối đa %(max)d ký tự.") % {"max": REFUSE_REASON_MAX_LENGTH},
    )
    return transition_run(
        user=user, dossier_id=dossier_id, name="refuse", note=note, public_note=reason, payload={"reason": reason}
    )


# --- receipt anywhere in the province (Decree 118/2025/NĐ-CP) ----------------------------------


def dossier_hand_over(
    *, user, dossier_id: int, agency_code: str, note: str = "", now: dt.datetime | None = None
) -> Dossier:
    """Hand a dossier a Public Administration Service Centre received over, electronically, to
    the agency of the province that decides its procedure (receipt anywhere in the province,
    Decree 118/2025/NĐ-CP): the centre's reception step closes (a row of the control sheet,
    form 06 of Circular 03/2025/TT-VPCP: the centre's officer gives, the deciding agency
    receives), the dossier's agency becomes the deciding one, whose officers assign and process
    it; the centre keeps it as ``reception_centre`` and may return its result.

    ``agency_code`` is one of ``hand_over_agencies`` (the page's and the API's choices); any
    other is refused (``agency``) and nothing changes.
    """
    note = note_clean(note)
    code = agency_code.strip() if isinstance(agency_code, str) else ""
    now = now or timezone.now()
    payload: dict = {}
    chosen: dict = {}

    def check(dossier: Dossier) -> None:
        targets = {a.code: a for a in hand_over_agencies(dossier)}
        if code not in targets:
            raise ValidationError(
                {"agency": [_("Vui lòng chọn cơ quan có thẩm quyền giải quyết thủ tục của hồ sơ trong tỉnh.")]}
            )
        chosen["target"] = targets[code]

    def apply(dossier: Dossier) -> list[str]:
        target = chosen["target"]
        centre = dossier.receiving_agency
        dossier.reception_centre = centre
        dossier.receiving_agency = target
        dossier.department = None
        payload.update(
            centre={"code": centre.code, "name": centre.name}, agency={"code": target.code, "name": target.name}
        )
        step_move(
            dossier=dossier,
            user=user,
            now=now,
            index=step_index_after(dossier, 0),
            outcome=StepOutcome.HANDED_OVER,
        )
        return ["reception_centre", "receiving_agency", "department"]

    return transition_run(
        user=user, dossier_id=dossier_id, name="hand_over", note=note, payload=payload, check=check, apply=apply
    )


def dossier_reception_deadline_set(*, dossier_id: int) -> None:
    """The 8-working-hour reception deadline of an online dossier waiting for reception
    (Decree 45/2020), counted from its submission; set once (the acknowledgement's task, off
    the request, right after the submission commits). Nothing for one already answered, paid
    first (set when the payment settles) or filed at the counter."""
    dossier = (
        Dossier.objects.select_related("receiving_agency")
        .filter(pk=dossier_id, state=DossierState.SUBMITTED, reception_due_at__isnull=True)
        .first()
    )
    if dossier is None or dossier.submitted_at is None:
        return
    due = reception_deadline(dossier, dossier.submitted_at)
    if due is not None:
        Dossier.objects.filter(pk=dossier_id, reception_due_at__isnull=True).update(reception_due_at=due)
