"""Fees of a dossier: the items due for its answers, what is paid and what is still due per phase.

Reads only; the transition guards (payment before the result) and the submission (toàn trình
procedures pay online before reception) need them, as do the pages, the API and the payments.
"""

import math
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Sum

from dossiers.constants import DossierState
from dossiers.models import Dossier, Payment
from dossiers.models.payment import PaymentPhase, PaymentStatus
from procedures.constants import FeeCollection, ServiceLevel

# Levels whose at-submission fees must be paid online before reception (Decree 42/2022:
# toàn trình includes online payment); một phần dossiers pay at the counter.
ONLINE_PAYMENT_REQUIRED_LEVELS = frozenset({ServiceLevel.FULL})


@dataclass(frozen=True)
class FeeLine:
    description: str
    unit_amount: int
    quantity: int
    amount: int
    collected_at: str


def _count(form_data: dict, field: str) -> int:
    """A form field's count, 0 when it holds none."""
    try:
        count = Decimal(str(form_data.get(field) or 0))
    except (InvalidOperation, ValueError):
        return 0
    if not count.is_finite():
        return 0
    # The form takes whole counts only; an older answer with a fraction is never charged less.
    return max(0, math.ceil(count))


def _quantity(fee, form_data: dict) -> int:
    """How many times an item is due: once, or per unit of the form field holding the count,
    from the unit after the first ``quantity_free`` up to unit ``quantity_max``, when the fee
    names one; times the count of ``per_field`` (e.g. per copy) when it names one."""
    units = 1
    if fee.quantity_field:
        units = _count(form_data, fee.quantity_field)
        if fee.quantity_max is not None:
            units = min(units, fee.quantity_max)
        units = max(0, units - fee.quantity_free)
    if fee.per_field:
        units *= _count(form_data, fee.per_field)
    return units


def _applies(fee, form_data: dict) -> bool:
    """Whether an item chosen by an answer is due: the answer equals ``condition_value``."""
    if not fee.condition_field:
        return True
    answer = form_data.get(fee.condition_field)
    expected = str(fee.condition_value).strip().lower()
    if expected in ("true", "false"):
        return ("true" if answer is True or str(answer).lower() in ("true", "1", "yes", "on") else "false") == expected
    return expected in [str(a).lower() for a in answer] if isinstance(answer, list) else str(answer).lower() == expected


def fee_lines(*, version, form_data: dict | None = None) -> list[FeeLine]:
    """The fee items due for a procedure version and the form answers (empty answers: fixed items)."""
    form_data = form_data or {}
    lines = []
    for fee in version.fees.all():
        if not _applies(fee, form_data):
            continue
        quantity = _quantity(fee, form_data)
        if quantity == 0:
            continue
        lines.append(FeeLine(fee.description, fee.amount, quantity, fee.amount * quantity, fee.collected_at))
    return lines


def _paid(dossier: Dossier) -> dict[str, int]:
    rows = (
        Payment.objects.filter(dossier=dossier, status=PaymentStatus.SUCCEEDED)
        .values("phase")
        .annotate(total=Sum("amount"))
    )
    return {row["phase"]: row["total"] for row in rows}


def dossier_fees(*, dossier: Dossier) -> dict:
    """Everything the pages and the API show about a dossier's fees: items, totals, paid, due."""
    lines = fee_lines(version=dossier.procedure_version, form_data=dossier.form_data)
    paid = _paid(dossier) if dossier.pk else {}
    phases = {}
    for phase in PaymentPhase.values:
        total = sum(line.amount for line in lines if line.collected_at == phase)
        phases[phase] = {"total": total, "paid": paid.get(phase, 0), "due": max(0, total - paid.get(phase, 0))}
    return {
        "lines": [asdict(line) for line in lines],
        "total": sum(line.amount for line in lines),
        "phases": phases,
        "online_required": dossier.procedure_version.service_level in ONLINE_PAYMENT_REQUIRED_LEVELS,
    }


def fee_due(*, dossier: Dossier, phase: str) -> int:
    return dossier_fees(dossier=dossier)["phases"][phase]["due"]


def submission_payment_due(*, dossier: Dossier) -> int:
    """The amount that must be paid online before reception (0: the dossier goes straight to reception)."""
    if dossier.procedure_version.service_level not in ONLINE_PAYMENT_REQUIRED_LEVELS:
        return 0
    return fee_due(dossier=dossier, phase=PaymentPhase.AT_SUBMISSION)


def waiting_phase(dossier: Dossier) -> str | None:
    """Which fees a dossier in status 6 waits for: at submission (before reception) or before the result."""
    if dossier.state != DossierState.PAYMENT_REQUESTED:
        return None
    return PaymentPhase.AT_SUBMISSION if dossier.resume_state == DossierState.SUBMITTED else PaymentPhase.BEFORE_RESULT


def fees_before_result(*, dossier: Dossier) -> int:
    """Total of the fees of the dossier's procedure version collected before the result (VND)."""
    return sum(f.amount for f in dossier.procedure_version.fees.all() if f.collected_at == FeeCollection.BEFORE_RESULT)
