"""The officers' workflow engine: the explicit transition table and the one helper that runs a transition.

Every transition the officers make (tiếp nhận, yêu cầu bổ sung, từ chối, ...) is a row of
``TRANSITIONS``: the states it may start from, the state it leads to, the officer permission
it needs for the dossier's receiving agency, and its label. A service performs a transition
through ``_transition``, which locks the dossier row, checks the permission and the current
state under the lock, applies the service's changes, writes the hash-chained event in the same
transaction and notifies the applicant on commit. A refused transition raises before anything
is written; two officers acting at once are serialised by the row lock, so the second one
sees the new state and is refused (``invalid_state``, HTTP 409 in the API).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import DossierState
from dossiers.models import Dossier
from dossiers.services.applicant import dossier_notify_status
from dossiers.services.events import event_append
from dossiers.services.official_slips import slip_enqueue_for_transition
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission

_S = DossierState
_P = OfficerPermission


@dataclass(frozen=True)
class Transition:
    name: str  # also the action recorded in the event and offered in ``available_actions``
    sources: frozenset[str]
    target: str
    permission: str
    label: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            name="receive",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.RECEIVED,
            permission=_P.RECEIVE,
            label=gettext_lazy("Tiếp nhận hồ sơ"),
        ),
        Transition(
            name="request_supplement",
            sources=frozenset({_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING}),
            target=_S.SUPPLEMENT_REQUESTED,
            permission=_P.RECEIVE,
            label=gettext_lazy("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
        ),
        Transition(
            name="refuse",
            sources=frozenset({_S.SUBMITTED}),
            target=_S.REFUSED,
            permission=_P.RECEIVE,
            label=gettext_lazy("Từ chối tiếp nhận hồ sơ"),
        ),
    )
}


def transition_get(name: str) -> Transition:
    return TRANSITIONS[name]


def transition_open(*, user, dossier: Dossier, name: str) -> bool:
    """Whether ``user`` may perform transition ``name`` on ``dossier`` as it is now (no lock; for offering it)."""
    transition = TRANSITIONS[name]
    return dossier.state in transition.sources and portal_selectors.officer_can(
        user=user, agency_id=dossier.receiving_agency_id, permission=transition.permission
    )


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
) -> Dossier:
    """Run transition ``name`` on the dossier for ``user``.

    ``check(dossier)`` validates the input against the locked dossier and raises
    ``ValidationError`` (before anything is written); ``apply(dossier)`` sets the fields the
    transition changes besides the state and returns their names for ``update_fields``.

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
        if dossier is None or not portal_selectors.officer_can(
            user=user, agency_id=dossier.receiving_agency_id, permission=transition.permission
        ):
            raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))
        if dossier.state not in transition.sources:
            raise invalid_state_error(transition, dossier)
        if check is not None:
            check(dossier)
        from_state = dossier.state
        dossier.state = transition.target
        fields = apply(dossier) if apply is not None else []
        dossier.save(update_fields=["state", "updated_at", *fields])
        event = event_append(
            dossier=dossier,
            action=transition.name,
            actor=user,
            from_state=from_state,
            to_state=dossier.state,
            note=note,
            payload=payload,
        )
        transaction.on_commit(lambda: dossier_notify_status(dossier, note=note))
        transaction.on_commit(
            lambda: slip_enqueue_for_transition(dossier_id=dossier.pk, action=transition.name, event_seq=event.seq)
        )
    return dossier
