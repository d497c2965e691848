"""What the applicant does after filing: answer a supplement request (yêu cầu bổ sung),
ask to withdraw (rút hồ sơ), rate the service (đánh giá), delete a draft.

Each is a row of the core's table (``supplement_submit``, ``withdraw_request``, ``rate``) run
by ``transition_run``: the row lock, the applicant check, the state, one event in the same
transaction, and the applicant's notice on commit. A refused call raises before anything is
committed, so it changes nothing.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import selectors
from dossiers.constants import DocumentReuse, DossierState, Rating
from dossiers.core.access import dossier_applicant_can_view
from dossiers.core.clock import dossier_clock_resume
from dossiers.core.machine import transition_run
from dossiers.core.notices import dossier_notify_status, dossier_notify_submitted, dossier_url  # noqa: F401
from dossiers.core.supplements import SupplementItem, SupplementRequest, supplement_request_get  # noqa: F401
from dossiers.core.text import text_clean
from dossiers.models import Dossier, DossierDocument
from dossiers.services.filing import document_attach, requirement_get, upload_and_attach
from portal.storage import files_kept_only_if_committed
from procedures import selectors as procedure_selectors

WITHDRAW_REASON_MIN_LENGTH = 5
WITHDRAW_REASON_MAX_LENGTH = 2000
RATING_COMMENT_MAX_LENGTH = 2000
SUPPLEMENT_NOTE_MAX_LENGTH = 2000

_S = DossierState


# --- supplement -------------------------------------------------------------------------


def _attach_from_store(*, user, dossier: Dossier, requirement_id, stored_id) -> DossierDocument:
    """Reuse a document from the store of the acting user or its organisations (once-only)."""
    requirement = requirement_get(dossier, requirement_id)
    key = f"documents[{requirement.pk}]"
    try:
        stored_id = int(stored_id)
    except (TypeError, ValueError):
        raise ValidationError({key: [_("Không tìm thấy giấy tờ này trong kho của bạn.")]}) from None
    stored = selectors.stored_documents_for_user(user=user).filter(pk=stored_id).first()
    if stored is None:
        raise ValidationError({key: [_("Không tìm thấy giấy tờ này trong kho của bạn.")]})
    if requirement.accepted_types and stored.mime_type not in requirement.accepted_types:
        raise ValidationError({key: [_("Định dạng giấy tờ trong kho không phù hợp.")]})
    if stored.size > requirement.max_size:
        raise ValidationError({key: [_("Giấy tờ trong kho vượt quá dung lượng cho phép.")]})
    if dossier.documents.filter(requirement=requirement, stored=stored, superseded_at__isnull=True).exists():
        raise ValidationError({key: [_("Giấy tờ này đang có trong hồ sơ; vui lòng chọn hoặc tải lên giấy tờ khác.")]})
    return document_attach(
        user=user, dossier=dossier, requirement=requirement, stored=stored, reuse=DocumentReuse.STORE
    )


def _merge_errors(errors: dict[str, list], error: ValidationError, *, prefix: str = "") -> None:
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            name = prefix if key == "__all__" and prefix else (f"{prefix}.{key}" if prefix else key)
            errors.setdefault(name.rstrip("."), []).extend(messages)
    else:
        errors.setdefault(prefix or "__all__", []).extend(error.messages)


def dossier_supplement_submit(
    *,
    user,
    dossier_id: int,
    data: dict | None = None,
    note: str = "",
    files: dict | None = None,
    from_store: dict | None = None,
    now: dt.datetime | None = None,
) -> Dossier:
    """Resubmit a dossier after a supplement request; the paused clock starts again.

    ``data`` corrects form answers (merged over the current ones, then checked against the
    form); ``files`` maps a requirement id to ``(name, content)``, and ``from_store`` to the
    id of a document already in the applicant's store (ignored where a file is given).
    Every document the request asked for must have a new document attached after the
    request. The dossier goes back
    to the state it was in when the request was made, and the working minutes it waited
    are added to ``paused_minutes`` (and to the due date).
    """
    if data is not None and not isinstance(data, dict):
        raise ValidationError({"data": [_("Dữ liệu biểu mẫu phải là một đối tượng JSON.")]})
    note = text_clean(
        note,
        field="note",
        maximum=SUPPLEMENT_NOTE_MAX_LENGTH,
        too_long=_("Ghi chú tối đa %(max)d ký tự.") % {"max": SUPPLEMENT_NOTE_MAX_LENGTH},
    )
    payload: dict = {}

    def check(dossier: Dossier) -> None:
        # The answers are attached and checked under the lock; any error rolls all of it back.
        request = supplement_request_get(dossier)
        errors: dict[str, list] = {}
        uploaded: list[int] = []
        for requirement_id, (name, content) in (files or {}).items():
            try:
                uploaded.append(
                    upload_and_attach(
                        user=user,
                        dossier=dossier,
                        requirement_id=requirement_id,
                        name=name,
                        content=content,
                        track=track,
                    ).pk
                )
            except ValidationError as error:
                _merge_errors(errors, error)
        given = {str(k) for k in (files or {})}
        for requirement_id, stored_id in (from_store or {}).items():
            if str(requirement_id) in given or stored_id in (None, ""):
                continue
            try:
                uploaded.append(
                    _attach_from_store(
                        user=user, dossier=dossier, requirement_id=requirement_id, stored_id=stored_id
                    ).pk
                )
            except ValidationError as error:
                _merge_errors(errors, error)
        changed: list[str] = []
        if data:
            merged = {**dossier.form_data, **data}
            try:
                cleaned = procedure_selectors.form_schema_validate_data(dossier.procedure_version.form_schema, merged)
            except ValidationError as error:
                _merge_errors(errors, error, prefix="data")
            else:
                changed = sorted(k for k in data if cleaned.get(k) != dossier.form_data.get(k))
                dossier.form_data = cleaned
        if request.requirement_ids:
            since = request.requested_at
            fresh = set(
                DossierDocument.objects.filter(
                    dossier=dossier,
                    requirement_id__in=request.requirement_ids,
                    superseded_at__isnull=True,
                    **({"created_at__gt": since} if since else {}),
                ).values_list("requirement_id", flat=True)
            )
            for item in request.items:
                if item.requirement_id in request.requirement_ids and item.requirement_id not in fresh:
                    key = f"documents[{item.requirement_id}]"
                    if key not in errors:
                        errors[key] = [
                            _("Chưa bổ sung giấy tờ “%(name)s” theo yêu cầu: %(reason)s")
                            % {"name": item.label, "reason": item.reason}
                        ]
        if errors:
            raise ValidationError(errors)
        payload.update(request_event=request.event_id, documents=uploaded, fields=changed, to=request.from_state)

    def apply(dossier: Dossier) -> list[str]:
        payload["paused_minutes"] = dossier_clock_resume(dossier, now or timezone.now())
        dossier.state = payload.pop("to")
        return ["form_data", "paused_minutes", "paused_at", "due_at"]

    # The files written for the answers are deleted when the transition does not commit.
    with files_kept_only_if_committed() as track:
        return transition_run(
            user=user,
            dossier_id=dossier_id,
            name="supplement_submit",
            note=note,
            payload=payload,
            check=check,
            apply=apply,
        )


# --- withdrawal ---------------------------------------------------------------------------


def dossier_withdraw_request(*, user, dossier_id: int, reason: str) -> Dossier:
    """Ask to withdraw the dossier (rút hồ sơ), with a reason.

    Not yet received (``submitted``): withdrawn at once, there is nothing to accept.
    Otherwise the agency accepts the request in the processing workflow.
    """
    reason = text_clean(
        reason,
        field="reason",
        required=True,
        minimum=WITHDRAW_REASON_MIN_LENGTH,
        maximum=WITHDRAW_REASON_MAX_LENGTH,
        message=_("Vui lòng nêu lý do rút hồ sơ (ít nhất %(min)d ký tự).") % {"min": WITHDRAW_REASON_MIN_LENGTH},
        too_long=_("Lý do rút hồ sơ tối đa %(max)d ký tự.") % {"max": WITHDRAW_REASON_MAX_LENGTH},
    )

    def apply(dossier: Dossier) -> list[str]:
        dossier.state = _S.WITHDRAWN if dossier.state == _S.SUBMITTED else _S.WITHDRAWAL_REQUESTED
        return []

    return transition_run(user=user, dossier_id=dossier_id, name="withdraw_request", note=reason, apply=apply)


def dossier_draft_delete(*, user, dossier_id: int) -> None:
    """Delete a draft (never submitted, so it has no code and no events)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier_id).first()
        if dossier is None or not dossier_applicant_can_view(user=user, dossier=dossier):
            raise PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))
        if dossier.applicant_id != user.pk:
            raise PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))
        if dossier.state != _S.DRAFT:
            raise ValidationError(_("Chỉ xoá được hồ sơ chưa nộp (bản nháp)."), code="invalid_state")
        DossierDocument.objects.filter(dossier=dossier).delete()
        dossier.delete()


# --- rating -------------------------------------------------------------------------------


def dossier_rate(*, user, dossier_id: int, rating: str, comment: str = "") -> Dossier:
    """Rate the service once the result is returned (Rất hài lòng / Hài lòng / Không hài lòng)."""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("Vui lòng chọn một mức đánh giá hợp lệ.")]})
    comment = text_clean(
        comment,
        field="comment",
        maximum=RATING_COMMENT_MAX_LENGTH,
        too_long=_("Ý kiến tối đa %(max)d ký tự.") % {"max": RATING_COMMENT_MAX_LENGTH},
    )

    def apply(dossier: Dossier) -> list[str]:
        dossier.rating, dossier.rating_comment, dossier.rated_at = rating, comment, timezone.now()
        return ["rating", "rating_comment", "rated_at"]

    return transition_run(
        user=user, dossier_id=dossier_id, name="rate", note=comment, payload={"rating": rating}, apply=apply
    )
