"""What the applicant and the officers are told when a dossier changes: the status notices
every transition sends on commit, and the officers' notices of assignment and consultation.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import SLIP_FORM, DossierState, SlipKind
from dossiers.core.supplements import REQUEST_SUPPLEMENT_ACTION, supplement_request_get
from dossiers.models import Dossier
from portal.models import Notification
from portal.notifications import notify
from procedures import selectors as procedure_selectors

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


def form_cited(dossier: Dossier, kind: str) -> dict:
    """The official form an e-mail names, as the dossier's rule set numbers and titles it (the
    set in force when it was received: Circular 01/2018/TT-VPCP before 15 September 2025,
    Circular 03/2025/TT-VPCP from then on, like the slips): ``form`` ("Mẫu 04 — …"),
    ``form_title`` and ``form_basis`` ("Ban hành kèm theo Thông tư số …"); {} when the set has
    no such form (no stop notice before Circular 03/2025)."""
    rules = procedure_selectors.rule_set_at(dossier.rules_moment)
    form = rules.form(SLIP_FORM[kind])
    if form is None:
        return {}
    return {"form": form.label, "form_title": form.title, "form_basis": rules.basis}


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
            cited = form_cited(dossier, SlipKind.SUPPLEMENT)
            notify(user, "dossier.supplement_requested", {**base, **cited, "items": items, "note": note})
        elif action == "apology" and dossier.due_at is not None:
            new_due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")
            cited = form_cited(dossier, SlipKind.APOLOGY)
            notify(user, "dossier.apology", {**base, **cited, "reason": note, "new_due": new_due})
        elif dossier.state == _S.RETURNED and dossier.return_method == "online":
            notify(user, "dossier.result_ready", base)
        else:
            # A stop is announced by its notice (form 05 of Circular 03/2025; none before it).
            cited = form_cited(dossier, SlipKind.STOP_NOTICE) if dossier.state == _S.STOPPED else {}
            notify(user, "dossier.status_changed", {**base, **cited, "status": status, "note": note})


def dossier_notify_submitted(*, dossier_id: int) -> bool:
    """The applicant's in-app notice of a submission, once; run by the acknowledgement's task in
    the pdf worker, not in the filing request (its e-mail is the acknowledgement itself).

    Once: the submission is the only in-app-only ("message") notice of a dossier, so its
    existence for the applicant and the code is the mark; the dossier row's lock orders retries.
    """
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


def officer_dossier_url(dossier: Dossier) -> str:
    """Path of the officers' page of a dossier."""
    return f"/officer/dossiers/{dossier.code}/"


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else "—"


def notify_assigned(*, officer, dossier: Dossier, assigned_by=None) -> None:
    """Tell the specialist a dossier was assigned (or reassigned) to it (``dossier.assigned``)."""
    if officer is None:
        return
    with translation.override(getattr(officer, "language", "") or settings.LANGUAGE_CODE):
        notify(
            officer,
            "dossier.assigned",
            {
                "dossier_code": dossier.code,
                "procedure": dossier.procedure_version.name,
                "url": officer_dossier_url(dossier),
                "due": _moment(dossier.due_at),
                "assigned_by": getattr(assigned_by, "full_name", "") or getattr(assigned_by, "email", ""),
            },
        )


def notify_consultation_requested(*, officer, dossier: Dossier, consultation) -> None:
    """Tell an officer of the agency asked that its opinion is wanted (``consultation.requested``)."""
    with translation.override(getattr(officer, "language", "") or settings.LANGUAGE_CODE):
        notify(
            officer,
            "consultation.requested",
            {
                "dossier_code": dossier.code,
                "procedure": dossier.procedure_version.name,
                "url": officer_dossier_url(dossier),
                "requesting_agency": dossier.receiving_agency.name,
                "due": _moment(consultation.due_at),
                "question": consultation.question,
            },
        )
