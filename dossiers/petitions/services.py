"""Writes of petitions: filing, the officers' three answers, the petitioner's reply, the sweep.

Every state change goes through `machine.petition_transition_run`; each function validates its
input first and raises ``ValidationError`` (messages in Vietnamese, English by the active
language) with nothing written.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dossiers import selectors as dossier_selectors
from dossiers.petitions import selectors
from dossiers.petitions.constants import (
    CONTENT_MAX,
    CONTENT_MIN,
    OPEN_STATES,
    TEXT_MAX,
    TITLE_MAX,
    PetitionKind,
)
from dossiers.petitions.machine import officer_may_act, petition_transition_run
from dossiers.petitions.models import Petition
from portal import selectors as portal_selectors
from portal.notifications import notify
from procedures import selectors as procedure_selectors

PHONE = re.compile(r"^(?:\+84|0)\d{9,10}$")


def _text(value, *, field: str, label: str, minimum: int, maximum: int, errors: dict) -> str:
    text = " ".join(str(value or "").split()) if field == "title" else str(value or "").strip()
    if len(text) < minimum:
        errors[field] = _("%(label)s phải có ít nhất %(min)d ký tự.") % {"label": label, "min": minimum}
    elif len(text) > maximum:
        errors[field] = _("%(label)s tối đa %(max)d ký tự.") % {"label": label, "max": maximum}
    return text


def petition_file(
    *,
    user,
    kind: str,
    title: str,
    content: str,
    consent_publish: bool = False,
    dossier_code: str = "",
    procedure_code: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    now: dt.datetime | None = None,
) -> Petition:
    """File a petition about one of the signed-in ``user``'s dossiers or a procedure of the
    catalogue; anonymously (``user`` None or anonymous) about a procedure only, with a name and a
    phone or an e-mail. Routed to the agency responsible with the deadlines in force."""
    signed_in = getattr(user, "is_authenticated", False)
    errors: dict[str, str] = {}
    if kind not in PetitionKind.values:
        errors["kind"] = _("Vui lòng chọn loại: phản ánh hoặc kiến nghị.")
    title = _text(title, field="title", label=_("Tiêu đề"), minimum=5, maximum=TITLE_MAX, errors=errors)
    content = _text(
        content, field="content", label=_("Nội dung"), minimum=CONTENT_MIN, maximum=CONTENT_MAX, errors=errors
    )
    dossier_code = str(dossier_code or "").strip().upper()
    procedure_code = str(procedure_code or "").strip()
    dossier = procedure = None
    if dossier_code:
        if not signed_in:
            errors["dossier_code"] = _("Chỉ người đã đăng nhập mới gửi được phản ánh về hồ sơ của mình.")
        else:
            dossier = (
                dossier_selectors.dossiers_for_applicant(user=user, include_drafts=False)
                .select_related("receiving_agency", "procedure")
                .filter(code=dossier_code[:48])
                .first()
            )
            if dossier is None:
                errors["dossier_code"] = _("Không tìm thấy hồ sơ “%(code)s” trong các hồ sơ của bạn.") % {
                    "code": dossier_code[:48]
                }
    if procedure_code and dossier is None and "dossier_code" not in errors:
        procedure = procedure_selectors.procedure_get_by_code(procedure_code)
        if procedure is None:
            errors["procedure_code"] = _("Không tìm thấy thủ tục có mã “%(code)s”.") % {"code": procedure_code[:32]}
    if not dossier_code and not procedure_code:
        errors["procedure_code"] = _("Vui lòng chọn thủ tục hành chính (hoặc hồ sơ) mà phản ánh, kiến nghị đề cập.")
    contact_name = " ".join(str(contact_name or "").split())
    contact_phone = re.sub(r"[\s.\-]", "", str(contact_phone or ""))
    contact_email = str(contact_email or "").strip()
    if not signed_in:
        if not 2 <= len(contact_name) <= 120:
            errors["contact_name"] = _("Vui lòng nhập họ và tên người gửi (2 đến 120 ký tự).")
        if not contact_phone and not contact_email:
            errors["contact_phone"] = _("Vui lòng nhập số điện thoại hoặc thư điện tử để cơ quan liên hệ trả lời.")
    if contact_phone and not PHONE.match(contact_phone):
        errors["contact_phone"] = _("Số điện thoại không hợp lệ (ví dụ: 0912345678).")
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors["contact_email"] = _("Địa chỉ thư điện tử không hợp lệ.")
        if len(contact_email) > 254:
            errors["contact_email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    agency = selectors.routing_agency_for(dossier=dossier, procedure=procedure)
    if agency is None and not errors:
        errors["procedure_code"] = _("Thủ tục này chưa có cơ quan thực hiện để tiếp nhận phản ánh, kiến nghị.")
    if errors:
        raise ValidationError(errors)

    received_at = now or timezone.now()
    rules_in_force = selectors.petition_rules_on(timezone.localdate(received_at))
    petition = Petition(
        kind=kind,
        petitioner=user if signed_in else None,
        contact_name=contact_name if not signed_in else "",
        contact_phone=contact_phone,
        contact_email=contact_email if not signed_in else "",
        dossier=dossier,
        procedure=dossier.procedure if dossier is not None else procedure,
        agency=agency,
        title=title,
        content=content,
        consent_publish=bool(consent_publish),
        received_at=received_at,
        rules_key=rules_in_force.key,
        **selectors.deadlines_for(agency=agency, received_at=received_at, rules_in_force=rules_in_force),
    )
    return petition_transition_run(name="file", user=user, petition=petition)


def _locked_id(code: str) -> int | None:
    return Petition.objects.filter(code=str(code or "")[:32]).values_list("pk", flat=True).first()


def _required(value, *, field: str, message: str, minimum: int = 5) -> str:
    text = str(value or "").strip()
    if len(text) < minimum:
        raise ValidationError({field: message})
    if len(text) > TEXT_MAX:
        raise ValidationError({field: _("Tối đa %(max)d ký tự.") % {"max": TEXT_MAX}})
    return text


def petition_refuse(*, user, code: str, reason: str) -> Petition:
    """Refuse to receive (từ chối tiếp nhận), with the reason the petitioner is told."""
    reason = _required(reason, field="reason", message=_("Vui lòng nêu lý do từ chối (ít nhất 5 ký tự)."))

    def apply(petition: Petition) -> list[str]:
        petition.refusal_reason = reason
        petition.closed_at = timezone.now()
        petition.closed_by = user
        return ["refusal_reason", "closed_at", "closed_by"]

    return petition_transition_run(name="refuse", user=user, petition_id=_locked_id(code), note=reason, apply=apply)


def petition_request_info(*, user, code: str, request: str) -> Petition:
    """Ask the petitioner for more information (đề nghị bổ sung thông tin)."""
    request = _required(request, field="request", message=_("Vui lòng nêu thông tin cần bổ sung (ít nhất 5 ký tự)."))

    def apply(petition: Petition) -> list[str]:
        petition.info_request = request
        petition.info_requested_at = timezone.now()
        return ["info_request", "info_requested_at"]

    return petition_transition_run(
        name="request_info", user=user, petition_id=_locked_id(code), note=request, apply=apply
    )


def petition_provide_info(*, user, code: str, reply: str) -> Petition:
    """The petitioner's reply to a request for information; the petition goes back to the agency.
    The deadlines keep running (whether waiting pauses them was not checked in the decree)."""
    reply = _required(reply, field="reply", message=_("Vui lòng nhập thông tin bổ sung (ít nhất 5 ký tự)."))

    def apply(petition: Petition) -> list[str]:
        petition.info_reply = reply
        petition.info_replied_at = timezone.now()
        return ["info_reply", "info_replied_at"]

    return petition_transition_run(
        name="provide_info", user=user, petition_id=_locked_id(code), note=reply, apply=apply
    )


def petition_answer(*, user, code: str, answer: str) -> Petition:
    """Answer the petition (trả lời): closes it; published if the petitioner agreed."""
    answer = _required(
        answer, field="answer", message=_("Vui lòng nhập nội dung trả lời (ít nhất 20 ký tự)."), minimum=20
    )

    def apply(petition: Petition) -> list[str]:
        petition.answer = answer
        petition.closed_at = timezone.now()
        petition.closed_by = user
        return ["answer", "closed_at", "closed_by"]

    return petition_transition_run(name="answer", user=user, petition_id=_locked_id(code), note=answer, apply=apply)


OFFICER_ACTIONS = {
    "refuse": (petition_refuse, "reason"),
    "request_info": (petition_request_info, "request"),
    "answer": (petition_answer, "answer"),
}


def petition_officer_act(*, user, code: str, action: str, text: str) -> Petition:
    """One of the officer's actions by name (the pages' and the API's one door)."""
    if action not in OFFICER_ACTIONS:
        raise ValidationError(
            {"action": _("Thao tác không hợp lệ; chọn một trong: %(names)s.") % {"names": ", ".join(OFFICER_ACTIONS)}}
        )
    function, field = OFFICER_ACTIONS[action]
    return function(user=user, code=code, **{field: text})


def officer_can_act(*, user, petition: Petition) -> bool:
    return officer_may_act(user, petition)


# --- the deadline sweep -----------------------------------------------------------------------


def _notify_agency(petition: Petition, event: str) -> int:
    due = timezone.localtime(petition.answer_due_at).strftime("%d/%m/%Y %H:%M")
    sent = 0
    for officer in portal_selectors.users_with_permission_in(
        agency_ids=[petition.agency_id], permission=selectors.VIEW_PERMISSION
    ):
        with translation.override(officer.language or "vi"):
            notify(
                officer,
                event,
                {"petition_code": petition.code, "due": due, "url": f"/officer/petitions/{petition.code}/"},
            )
        sent += 1
    return sent


def petition_sweep_one(*, petition_id: int, now: dt.datetime | None = None) -> str:
    """Warn about one open petition due within the warning window, or mark it overdue once past
    its answer deadline: under the row's lock, each at most once (``warned_at``, ``overdue_at``).
    Returns "warned", "overdue" or "" (nothing to do)."""
    now = now or timezone.now()
    with transaction.atomic():
        petition = Petition.objects.select_for_update().filter(pk=petition_id, state__in=OPEN_STATES).first()
        if petition is None:
            return ""
        if petition.answer_due_at < now:
            if petition.overdue_at is not None:
                return ""
            petition.overdue_at = now
            petition.save(update_fields=["overdue_at", "updated_at"])
            petition.events.create(action="overdue", from_state=petition.state, to_state=petition.state)
            _notify_agency(petition, "petition.overdue")
            return "overdue"
        if petition.warned_at is not None:
            return ""
        warn_days = selectors.petition_rules_of(petition).warn_days
        threshold = procedure_selectors.working_days_after(agency=petition.agency, moment=now, days=warn_days)
        if petition.answer_due_at > threshold:
            return ""
        petition.warned_at = now
        petition.save(update_fields=["warned_at", "updated_at"])
        petition.events.create(action="due_soon", from_state=petition.state, to_state=petition.state)
        _notify_agency(petition, "petition.due_soon")
        return "warned"


def petition_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0}
    for petition_id in selectors.petitions_to_sweep(now=now).values_list("pk", flat=True):
        outcome = petition_sweep_one(petition_id=petition_id, now=now)
        if outcome:
            counts[outcome] += 1
    return counts
