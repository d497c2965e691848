"""What the caller may do next with a dossier: the actions offered on its page and in the API.

Each action is registered once with a rule deciding whether it is open to a user for a
dossier in its current state. The dossier page and ``available_actions`` in the API read
this registry; the streams that implement an action (supplement, withdrawal, rating here,
the officers' transitions later) register or replace the rule, and attach the service that
performs it, with `action_register`:

    action_register("withdraw", label=_("Rút hồ sơ"), rule=my_rule, perform=dossier_withdraw_request)

A rule only *offers* an action; the service that performs it checks role, agency and
state again under the row lock.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from dossiers.constants import FINAL_STATES, DossierState

Rule = Callable[..., bool]


@dataclass(frozen=True)
class DossierAction:
    name: str
    label: str
    rule: Rule
    perform: Callable | None = None
    fields: tuple = ()


_REGISTRY: dict[str, DossierAction] = {}


def action_register(
    name: str, *, label, rule: Rule | None = None, perform: Callable | None = None, fields: tuple | None = None
) -> DossierAction:
    """Add or replace an action; keeps the earlier rule, service or fields when one is not given.

    ``fields``: what the action needs, each ``{"name", "type", "required", "label"}`` (and
    ``choices`` for a choice), so an API client or a page can build the form.
    """
    previous = _REGISTRY.get(name)
    action = DossierAction(
        name=name,
        label=label,
        rule=rule or (previous.rule if previous else _never),
        perform=perform or (previous.perform if previous else None),
        fields=fields if fields is not None else (previous.fields if previous else ()),
    )
    _REGISTRY[name] = action
    return action


def action_get(name: str) -> DossierAction | None:
    return _REGISTRY.get(name)


def available_actions(*, user, dossier) -> list[str]:
    """Names of the actions the user may take on the dossier now, in registration order."""
    return [a.name for a in offered_actions(user=user, dossier=dossier)]


def offered_actions(*, user, dossier) -> list[DossierAction]:
    """The actions the user may take on the dossier now, in registration order."""
    return [a for a in _REGISTRY.values() if a.rule(user=user, dossier=dossier)]


def action_describe(action: DossierAction) -> dict:
    """An action as the API lists it: name, label and the fields it needs (labels translated)."""
    return {
        "name": action.name,
        "label": str(action.label),
        "fields": [
            {
                key: (str(value) if key == "label" else list(value) if key == "choices" else value)
                for key, value in f.items()
            }
            for f in action.fields
        ],
    }


def _never(*, user, dossier) -> bool:
    return False


def _is_applicant(user, dossier) -> bool:
    from dossiers import selectors

    return selectors.dossier_applicant_can_view(user=user, dossier=dossier)


def _can_supplement(*, user, dossier) -> bool:
    return dossier.state == DossierState.SUPPLEMENT_REQUESTED and _is_applicant(user, dossier)


def _can_withdraw(*, user, dossier) -> bool:
    return (
        dossier.state not in FINAL_STATES
        and dossier.state not in (DossierState.DRAFT, DossierState.WITHDRAWAL_REQUESTED)
        and _is_applicant(user, dossier)
    )


def _can_rate(*, user, dossier) -> bool:
    return dossier.state == DossierState.RETURNED and not dossier.rating and _is_applicant(user, dossier)


_NOTE = {"name": "note", "type": "text", "required": False, "label": _("Ghi chú")}
action_register(
    "supplement",
    label=_("Bổ sung hồ sơ"),
    rule=_can_supplement,
    fields=(
        {"name": "documents", "type": "files", "required": False, "label": _("Giấy tờ bổ sung theo thành phần")},
        {"name": "form_data", "type": "object", "required": False, "label": _("Nội dung tờ khai sửa đổi")},
        _NOTE,
    ),
)
action_register(
    "withdraw",
    label=_("Rút hồ sơ"),
    rule=_can_withdraw,
    fields=({"name": "reason", "type": "text", "required": True, "label": _("Lý do")},),
)
action_register(
    "rate",
    label=_("Đánh giá mức độ hài lòng"),
    rule=_can_rate,
    fields=(
        {
            "name": "rating",
            "type": "choice",
            "required": True,
            "choices": ("very_satisfied", "satisfied", "dissatisfied"),
            "label": _("Mức độ hài lòng"),
        },
        {"name": "comment", "type": "text", "required": False, "label": _("Ý kiến")},
    ),
)
