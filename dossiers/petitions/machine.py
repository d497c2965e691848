"""The petition's transition table and its runner: every state change of a petition.

A row names the states it leaves from, the state it reaches, and who performs it: an officer
holding one of ``ACT_PERMISSIONS`` for the petition's agency, the petitioner (the signed-in
owner), or anyone (the filing, the only row that creates a petition). The runner reads top to
bottom — lock the row, check the performer, the state and the input, change, write the event,
record the notices — in one transaction, so a refused input writes nothing and a rolled-back
change notifies nobody. Notices go out through the outbox (`portal.notifications.notify` for a
petitioner with an account; an idempotent mail task for an anonymous one with an e-mail).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.petitions.constants import ACT_PERMISSIONS, CODE_PREFIX, PetitionState
from dossiers.petitions.models import Petition, PetitionEvent
from portal import selectors as portal_selectors
from portal.notifications import notify
from portal.services.outbox import outbox_enqueue

OFFICER = "officer"
PETITIONER = "petitioner"
ANYONE = "anyone"
SYSTEM = "system"

_S = PetitionState


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    performer: str
    notify: bool = True


TRANSITIONS: dict[str, Transition] = {
    row.name: row
    for row in (
        Transition("file", gettext_lazy("Gửi phản ánh, kiến nghị"), (), _S.RECEIVED, ANYONE),
        Transition("refuse", gettext_lazy("Từ chối tiếp nhận"), (_S.RECEIVED, _S.INFO_REQUESTED), _S.REFUSED, OFFICER),
        Transition(
            "request_info", gettext_lazy("Đề nghị bổ sung thông tin"), (_S.RECEIVED,), _S.INFO_REQUESTED, OFFICER
        ),
        Transition("provide_info", gettext_lazy("Bổ sung thông tin"), (_S.INFO_REQUESTED,), _S.RECEIVED, PETITIONER),
        Transition("answer", gettext_lazy("Trả lời"), (_S.RECEIVED, _S.INFO_REQUESTED), _S.ANSWERED, OFFICER),
    )
}
OFFICER_ACTIONS = tuple(name for name, row in TRANSITIONS.items() if row.performer == OFFICER)


def officer_may_act(user, petition: Petition) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(
        portal_selectors.officer_can(user=user, agency_id=petition.agency_id, permission=permission)
        for permission in ACT_PERMISSIONS
    )


def _allowed(user, row: Transition, petition: Petition) -> bool:
    if row.performer == ANYONE:
        return True
    if row.performer == SYSTEM:
        return user is None
    if row.performer == PETITIONER:
        return getattr(user, "is_authenticated", False) and petition.petitioner_id == user.pk
    return officer_may_act(user, petition)


def invalid_state_error(row: Transition, petition: Petition) -> ValidationError:
    return ValidationError(
        _("Phản ánh, kiến nghị %(code)s đang ở trạng thái “%(state)s”: không thể “%(action)s”.")
        % {"code": petition.code, "state": petition.get_state_display(), "action": row.label},
        code="invalid_state",
    )


def _new_code(petition: Petition) -> str:
    return f"{CODE_PREFIX}-{timezone.localdate(petition.received_at):%y%m%d}-{petition.pk:06d}"


def petition_transition_run(
    *,
    name: str,
    user,
    petition_id: int | None = None,
    petition: Petition | None = None,
    note: str = "",
    check: Callable[[Petition], None] | None = None,
    apply: Callable[[Petition], list[str]] | None = None,
) -> Petition:
    """Run the row ``name`` on the petition ``petition_id`` (locked here) or on the new, unsaved
    ``petition`` (the filing row), for ``user``. ``check`` raises ``ValidationError`` before
    anything is written; ``apply`` sets the row's own fields and returns their names. ``note`` is
    the text the petitioner is told (the reason, the question, the answer). Raises
    ``PermissionDenied`` for a user who is not the row's performer (an unknown petition answers
    the same), ``ValidationError`` (code ``invalid_state``) when the state does not allow it."""
    row = TRANSITIONS[name]
    with transaction.atomic():
        new = petition is not None and petition.pk is None
        if not new:
            petition = Petition.objects.select_for_update().filter(pk=petition_id).first()
        if petition is None or not _allowed(user, row, petition):
            raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này với phản ánh, kiến nghị."))
        if (new and row.sources) or (not new and petition.state not in row.sources):
            raise invalid_state_error(row, petition)
        if check is not None:
            check(petition)
        from_state = "" if new else petition.state
        petition.state = row.target
        fields = apply(petition) if apply is not None else []
        if new:
            petition.code = f"tmp-{uuid.uuid4().hex[:24]}"
            petition.save(force_insert=True)
            petition.code = _new_code(petition)
            petition.save(update_fields=["code"])
        else:
            petition.save(update_fields=sorted({"state", "updated_at", *fields}))
        actor = user if getattr(user, "is_authenticated", False) else None
        event = PetitionEvent.objects.create(
            petition=petition, action=name, from_state=from_state, to_state=petition.state, actor=actor, note=note
        )
        if row.notify:
            _notify_petitioner(petition, event)
    return petition


def petition_url(petition: Petition) -> str:
    return f"/petitions/{petition.code}/"


def _notify_petitioner(petition: Petition, event: PetitionEvent) -> None:
    """The petitioner's notice of ``event``, in the same transaction: in-app and e-mail for an
    account, an e-mail for an anonymous petitioner who left one (a phone alone gets nothing:
    no SMS notice is sent for petitions)."""
    if petition.petitioner_id is not None:
        recipient = petition.petitioner
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            status = str(petition.get_state_display())
        notify(
            recipient,
            "petition.status_changed",
            {"petition_code": petition.code, "status": status, "note": event.note, "url": petition_url(petition)},
        )
    elif petition.contact_email:
        outbox_enqueue(task="dossiers.petitions.tasks.mail_contact", args=[event.pk])
