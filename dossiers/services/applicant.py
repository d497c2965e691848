"""What the applicant does after filing: answer a supplement request (yêu cầu bổ sung),
ask to withdraw (rút hồ sơ), rate the service (đánh giá), delete a draft — and the
status notifications every transition sends.

Each transition locks the dossier row, checks who acts and the current state, writes
one event in the same transaction, and notifies the applicant on commit. A refused
call raises before anything is written, so it changes nothing.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers import selectors
from dossiers.constants import FINAL_STATES, DossierState, Rating
from dossiers.models import Dossier, DossierDocument, DossierEvent
from dossiers.services.clock import dossier_clock_resume
from dossiers.services.events import event_append
from dossiers.services.filing import _attach, _requirement, upload_and_attach
from procedures import selectors as procedure_selectors

WITHDRAW_REASON_MIN_LENGTH = 5
WITHDRAW_REASON_MAX_LENGTH = 2000
RATING_COMMENT_MAX_LENGTH = 2000
SUPPLEMENT_NOTE_MAX_LENGTH = 2000

# Action name of the officer's supplement request event (written by the processing workflow).
REQUEST_SUPPLEMENT_ACTION = "request_supplement"

_S = DossierState

# What the applicant is told when its dossier enters a state.
_STATUS_SUBJECTS = {
    _S.SUBMITTED: gettext_lazy("Đã nộp hồ sơ %(code)s"),
    _S.RECEIVED: gettext_lazy("Hồ sơ %(code)s đã được tiếp nhận"),
    _S.REFUSED: gettext_lazy("Hồ sơ %(code)s không được tiếp nhận"),
    _S.PROCESSING: gettext_lazy("Hồ sơ %(code)s đang được xử lý"),
    _S.CONSULTING: gettext_lazy("Hồ sơ %(code)s đang được xử lý"),
    _S.PENDING_APPROVAL: gettext_lazy("Hồ sơ %(code)s đang được xử lý"),
    _S.SUPPLEMENT_REQUESTED: gettext_lazy("Hồ sơ %(code)s cần bổ sung, hoàn thiện"),
    _S.PAYMENT_REQUESTED: gettext_lazy("Hồ sơ %(code)s: yêu cầu thực hiện nghĩa vụ tài chính"),
    _S.WITHDRAWAL_REQUESTED: gettext_lazy("Đã gửi yêu cầu rút hồ sơ %(code)s"),
    _S.WITHDRAWN: gettext_lazy("Hồ sơ %(code)s đã được rút"),
    _S.STOPPED: gettext_lazy("Hồ sơ %(code)s đã dừng xử lý"),
    _S.RESOLVED: gettext_lazy("Hồ sơ %(code)s đã xử lý xong"),
    _S.RETURNED: gettext_lazy("Đã trả kết quả hồ sơ %(code)s"),
}


def dossier_url(dossier: Dossier) -> str:
    """Path of the applicant's dossier page (relative to the site)."""
    return f"/dossiers/{dossier.code}/" if dossier.code else ""


def dossier_notify_status(dossier: Dossier, *, note: str = "", email: bool = True, action: str = "") -> None:
    """Tell the applicant its dossier is now in ``dossier.state`` (in-app, email, SMS by preference).

    Called by every transition, the applicant's and the officers'. The message is the event
    that fits (a supplement request lists every item; an apology gives the reason and the new
    date; an online return announces the result in the store; otherwise the new status), in
    the applicant's language. ``email=False`` (at submission, whose acknowledgement is mailed
    with its PDF) records the in-app notice only.
    """
    from django.conf import settings

    from portal.notifications import notify

    user = dossier.applicant
    if user is None or not dossier.code:
        return
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        base = {"dossier_code": dossier.code, "procedure": dossier.procedure_version.name, "url": dossier_url(dossier)}
        status = str(dossier.get_state_display())
        if not email:
            subject = _STATUS_SUBJECTS.get(dossier.state, gettext_lazy("Hồ sơ %(code)s đã thay đổi trạng thái")) % {
                "code": dossier.code
            }
            body = _("Hồ sơ %(code)s (%(procedure)s) chuyển sang trạng thái: %(status)s.") % {
                "code": dossier.code,
                "procedure": base["procedure"],
                "status": status,
            }
            notify(user=user, subject=subject, body=body, url=base["url"], dossier_code=dossier.code, email=False)
        elif action == REQUEST_SUPPLEMENT_ACTION and dossier.state == _S.SUPPLEMENT_REQUESTED:
            request = supplement_request_get(dossier)
            items = [f"{item.label}: {item.reason}" if item.label else item.reason for item in request.items]
            notify(user, "dossier.supplement_requested", {**base, "items": items, "note": note})
        elif action == "apology" and dossier.due_at is not None:
            new_due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")
            notify(user, "dossier.apology", {**base, "reason": note, "new_due": new_due})
        elif dossier.state == _S.RETURNED and dossier.return_method == "online":
            notify(user, "dossier.result_ready", base)
        else:
            notify(user, "dossier.status_changed", {**base, "status": status, "note": note})


def dossier_notify_submitted(*, dossier_id: int) -> bool:
    """The applicant's in-app notice of a submission, once; run by the acknowledgement's task in
    the pdf worker, not in the filing request (its e-mail is the acknowledgement itself).

    Once: the submission is the only in-app-only ("message") notice of a dossier, so its
    existence for the applicant and the code is the mark; the dossier row's lock orders retries.
    """
    from portal.models import Notification

    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version", "applicant")
            .filter(pk=dossier_id)
            .first()
        )
        if dossier is None or dossier.applicant is None or not dossier.code:
            return False
        if Notification.objects.filter(
            user_id=dossier.applicant_id, dossier_code=dossier.code, event="message"
        ).exists():
            return False
        dossier_notify_status(dossier, email=False)
    return True


# --- shared checks ------------------------------------------------------------------------


def _invalid_state(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_state")


def _lock(*, user, dossier_id: int) -> Dossier:
    """The dossier row, locked, if ``user`` may act for the applicant; PermissionDenied otherwise.

    An unknown dossier and someone else's answer the same way (no oracle for which exist).
    """
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure_version", "receiving_agency", "organisation", "applicant")
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None or not selectors.dossier_applicant_can_view(user=user, dossier=dossier):
        raise PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))
    return dossier


def _after_commit_notify(dossier: Dossier, *, note: str = "") -> None:
    transaction.on_commit(lambda: dossier_notify_status(dossier, note=note))


# --- supplement -------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplementItem:
    requirement_id: int | None
    field: str | None
    reason: str
    label: str  # the document's or the field's name, for display


@dataclass(frozen=True)
class SupplementRequest:
    """The officer's latest supplement request: what to add or correct, and why."""

    items: list[SupplementItem]
    requested_at: dt.datetime | None
    from_state: str
    note: str = ""
    event_id: int | None = None
    requirement_ids: list[int] = field(default_factory=list)
    field_names: list[str] = field(default_factory=list)


def supplement_request_get(dossier: Dossier) -> SupplementRequest:
    """Read the latest ``request_supplement`` event of the dossier.

    Without one (a dossier put in that state by other means), nothing is listed and the
    dossier goes back to processing if assigned, else to received.
    """
    event = (
        DossierEvent.objects.filter(dossier=dossier, action=REQUEST_SUPPLEMENT_ACTION)
        .order_by("-seq")
        .only("pk", "payload", "created_at", "from_state", "note")
        .first()
    )
    requirements = {r.pk: r.name for r in dossier.procedure_version.documents.all()}
    fields = {f["name"]: f.get("label") or f["name"] for f in dossier.procedure_version.form_schema.get("fields", [])}
    items: list[SupplementItem] = []
    raw_items = (event.payload or {}).get("items", []) if event else []
    for raw in raw_items if isinstance(raw_items, list) else []:
        if not isinstance(raw, dict):
            continue
        try:
            requirement_id = int(raw["requirement_id"]) if raw.get("requirement_id") is not None else None
        except (TypeError, ValueError):
            requirement_id = None
        field_name = str(raw["field"]) if raw.get("field") else None
        label = requirements.get(requirement_id) if requirement_id else None
        label = label or (fields.get(field_name) if field_name else None) or _("Nội dung khác")
        items.append(
            SupplementItem(
                requirement_id=requirement_id, field=field_name, reason=str(raw.get("reason", "")), label=str(label)
            )
        )
    fallback = _S.PROCESSING if dossier.assigned_to_id else _S.RECEIVED
    from_state = (
        event.from_state if event and event.from_state in (_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING) else fallback
    )
    return SupplementRequest(
        items=items,
        requested_at=event.created_at if event else dossier.paused_at,
        from_state=from_state,
        note=event.note if event else "",
        event_id=event.pk if event else None,
        requirement_ids=[i.requirement_id for i in items if i.requirement_id and i.requirement_id in requirements],
        field_names=[i.field for i in items if i.field and i.field in fields],
    )


def _attach_from_store(*, user, dossier: Dossier, requirement_id, stored_id) -> DossierDocument:
    """Reuse a document from the store of the acting user or its organisations (once-only)."""
    requirement = _requirement(dossier, requirement_id)
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
    return _attach(user=user, dossier=dossier, requirement=requirement, stored=stored)


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
    note = (note or "").strip()
    if len(note) > SUPPLEMENT_NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": [_("Ghi chú tối đa %(max)d ký tự.") % {"max": SUPPLEMENT_NOTE_MAX_LENGTH}]}, code="too_long"
        )
    with transaction.atomic():
        dossier = _lock(user=user, dossier_id=dossier_id)
        if dossier.state != _S.SUPPLEMENT_REQUESTED:
            raise _invalid_state(_("Hồ sơ không ở trạng thái yêu cầu bổ sung."))
        request = supplement_request_get(dossier)
        errors: dict[str, list] = {}
        uploaded: list[int] = []
        for requirement_id, (name, content) in (files or {}).items():
            try:
                uploaded.append(
                    upload_and_attach(
                        user=user, dossier=dossier, requirement_id=requirement_id, name=name, content=content
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
        now = now or timezone.now()
        paused = dossier_clock_resume(dossier, now)
        from_state, dossier.state = dossier.state, request.from_state
        dossier.save(update_fields=["state", "form_data", "paused_minutes", "paused_at", "due_at", "updated_at"])
        event_append(
            dossier=dossier,
            action="supplement_submitted",
            actor=user,
            from_state=from_state,
            to_state=dossier.state,
            note=note,
            payload={
                "request_event": request.event_id,
                "documents": uploaded,
                "fields": changed,
                "paused_minutes": paused,
            },
        )
        _after_commit_notify(dossier, note=note)
    return dossier


# --- withdrawal ---------------------------------------------------------------------------


def dossier_withdraw_request(*, user, dossier_id: int, reason: str) -> Dossier:
    """Ask to withdraw the dossier (rút hồ sơ), with a reason.

    Not yet received (``submitted``): withdrawn at once, there is nothing to accept.
    Otherwise the agency accepts the request in the processing workflow.
    """
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) < WITHDRAW_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": [
                    _("Vui lòng nêu lý do rút hồ sơ (ít nhất %(min)d ký tự).") % {"min": WITHDRAW_REASON_MIN_LENGTH}
                ]
            }
        )
    if len(reason) > WITHDRAW_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("Lý do rút hồ sơ tối đa %(max)d ký tự.") % {"max": WITHDRAW_REASON_MAX_LENGTH}]}
        )
    with transaction.atomic():
        dossier = _lock(user=user, dossier_id=dossier_id)
        if dossier.state == _S.DRAFT:
            raise _invalid_state(_("Hồ sơ chưa nộp: bạn có thể xoá bản nháp thay vì rút hồ sơ."))
        if dossier.state == _S.WITHDRAWAL_REQUESTED:
            raise _invalid_state(_("Bạn đã gửi yêu cầu rút hồ sơ này, vui lòng chờ cơ quan xử lý."))
        if dossier.state in FINAL_STATES:
            raise _invalid_state(_("Hồ sơ đã kết thúc, không thể rút."))
        from_state = dossier.state
        dossier.state = _S.WITHDRAWN if from_state == _S.SUBMITTED else _S.WITHDRAWAL_REQUESTED
        dossier.save(update_fields=["state", "updated_at"])
        event_append(
            dossier=dossier,
            action="withdraw_requested",
            actor=user,
            from_state=from_state,
            to_state=dossier.state,
            note=reason,
        )
        _after_commit_notify(dossier, note=reason)
    return dossier


def dossier_draft_delete(*, user, dossier_id: int) -> None:
    """Delete a draft (never submitted, so it has no code and no events)."""
    with transaction.atomic():
        dossier = _lock(user=user, dossier_id=dossier_id)
        if dossier.applicant_id != user.pk:
            raise PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))
        if dossier.state != _S.DRAFT:
            raise _invalid_state(_("Chỉ xoá được hồ sơ chưa nộp (bản nháp)."))
        DossierDocument.objects.filter(dossier=dossier).delete()
        dossier.delete()


# --- rating -------------------------------------------------------------------------------


def dossier_rate(*, user, dossier_id: int, rating: str, comment: str = "") -> Dossier:
    """Rate the service once the result is returned (Rất hài lòng / Hài lòng / Không hài lòng)."""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("Vui lòng chọn một mức đánh giá hợp lệ.")]})
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if len(comment) > RATING_COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": [_("Ý kiến tối đa %(max)d ký tự.") % {"max": RATING_COMMENT_MAX_LENGTH}]}, code="too_long"
        )
    with transaction.atomic():
        dossier = _lock(user=user, dossier_id=dossier_id)
        if dossier.state != _S.RETURNED:
            raise _invalid_state(_("Chỉ đánh giá được hồ sơ đã trả kết quả."))
        if dossier.rated_at is not None:
            raise _invalid_state(_("Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần."))
        dossier.rating, dossier.rating_comment, dossier.rated_at = rating, comment, timezone.now()
        dossier.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
        event_append(
            dossier=dossier,
            action="rated",
            actor=user,
            from_state=dossier.state,
            to_state=dossier.state,
            note=comment,
            payload={"rating": rating},
        )
    return dossier


# --- the actions offered on the dossier page and in the API ---------------------------------


def _perform_supplement(*, user, dossier: Dossier, params: dict, files: dict | None = None) -> Dossier:
    return dossier_supplement_submit(
        user=user,
        dossier_id=dossier.pk,
        data=params.get("data"),
        note=params.get("note", ""),
        files=files,
        from_store=params.get("from_store") if isinstance(params.get("from_store"), dict) else None,
    )


def _perform_withdraw(*, user, dossier: Dossier, params: dict, files: dict | None = None) -> Dossier:
    return dossier_withdraw_request(user=user, dossier_id=dossier.pk, reason=params.get("reason", ""))


def _perform_rate(*, user, dossier: Dossier, params: dict, files: dict | None = None) -> Dossier:
    return dossier_rate(
        user=user, dossier_id=dossier.pk, rating=params.get("rating", ""), comment=params.get("comment", "")
    )


def _register_actions() -> None:
    """Attach the services to the actions registry (``perform(*, user, dossier, params, files=None)``)."""
    from dossiers.actions import action_get, action_register

    for name, perform in (
        ("supplement", _perform_supplement),
        ("withdraw", _perform_withdraw),
        ("rate", _perform_rate),
    ):
        existing = action_get(name)
        if existing is not None:
            action_register(name, label=existing.label, perform=perform)


_register_actions()
