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


_REGISTRY: dict[str, DossierAction] = {}


def action_register(name: str, *, label, rule: Rule | None = None, perform: Callable | None = None) -> DossierAction:
    """Add or replace an action; keeps the earlier rule or service when one is not given."""
    previous = _REGISTRY.get(name)
    action = DossierAction(
        name=name,
        label=label,
        rule=rule or (previous.rule if previous else _never),
        perform=perform or (previous.perform if previous else None),
    )
    _REGISTRY[name] = action
    return action


def action_get(name: str) -> DossierAction | None:
    return _REGISTRY.get(name)


def available_actions(*, user, dossier) -> list[str]:
    """Names of the actions the user may take on the dossier now, in registration order."""
    return [a.name for a in _REGISTRY.values() if a.rule(user=user, dossier=dossier)]


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


action_register("supplement", label=_("Bổ sung hồ sơ"), rule=_can_supplement)
action_register("withdraw", label=_("Rút hồ sơ"), rule=_can_withdraw)
action_register("rate", label=_("Đánh giá mức độ hài lòng"), rule=_can_rate)
