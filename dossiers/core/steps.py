"""The steps of a dossier's processing, driven by its procedure version's workflow template.

The template (``ProcedureVersion.workflow_steps``) lists the steps in order, each with the
officer role that holds it and the working time allotted to it. The engine opens a
``DossierStep`` when a step starts (its due time from the agency's calendar) and closes it at
the handover, so form 05 can say for every step who gave, who received, and whether it was
early, on time or late. A version without a template gets ``DEFAULT_TEMPLATE``.
"""

import datetime as dt

from dossiers.models import Dossier, DossierStep
from procedures import selectors as procedure_selectors

MINUTES_PER_WORKING_DAY = 8 * 60

DEFAULT_TEMPLATE = [
    {"key": "receive", "name": "Tiếp nhận, kiểm tra hồ sơ", "role": "reception", "duration": 4, "unit": "hours"},
    {"key": "assign", "name": "Phân công xử lý", "role": "department_head", "duration": 4, "unit": "hours"},
    {"key": "appraise", "name": "Thẩm định, đề xuất", "role": "specialist", "duration": 1, "unit": "days"},
    {"key": "approve", "name": "Phê duyệt kết quả", "role": "leader", "duration": 4, "unit": "hours"},
    {"key": "return", "name": "Trả kết quả", "role": "reception", "duration": 4, "unit": "hours"},
]

# Which kind of step each officer action works in; the engine finds the step by role.
ROLE_RECEPTION = "reception"
ROLE_SPECIALIST = "specialist"
ROLE_HEAD = "department_head"
ROLE_LEADER = "leader"


def steps_template(dossier: Dossier) -> list[dict]:
    """The version's steps; the default ones when it has none, or lacks appraisal or approval.

    The engine needs a specialist's step (appraisal) and a leader's step (approval) after
    reception; a template without them would leave no one to propose or approve.
    """
    steps = dossier.procedure_version.workflow_steps or []
    roles = {step.get("role") for step in steps}
    if not steps or ROLE_SPECIALIST not in roles or ROLE_LEADER not in roles:
        return DEFAULT_TEMPLATE
    return steps


def step_due(*, dossier: Dossier, step: dict, start: dt.datetime) -> dt.datetime | None:
    duration = step.get("duration") or 0
    if not duration:
        return None
    minutes = duration * (MINUTES_PER_WORKING_DAY if step.get("unit") == "days" else 60)
    agency = dossier.receiving_agency
    return procedure_selectors.add_working_minutes(
        agency=agency, moment=procedure_selectors.next_working_moment(agency=agency, moment=start), minutes=minutes
    )


def step_current(dossier: Dossier) -> DossierStep | None:
    return DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).first()


def step_current_role(dossier: Dossier) -> str:
    steps = steps_template(dossier)
    if 0 <= dossier.current_step < len(steps):
        return steps[dossier.current_step]["role"]
    return ""


def step_index_after(dossier: Dossier, index: int, *, roles: set[str] | None = None) -> int | None:
    """The next step after ``index`` (optionally the next one held by one of ``roles``)."""
    steps = steps_template(dossier)
    for i in range(index + 1, len(steps)):
        if roles is None or steps[i]["role"] in roles:
            return i
    return None


def step_index_of(dossier: Dossier, key: str | None) -> int | None:
    for i, step in enumerate(steps_template(dossier)):
        if step["key"] == key:
            return i
    return None


def step_close(*, dossier: Dossier, user, now: dt.datetime, outcome: str) -> DossierStep | None:
    step = step_current(dossier)
    dossier.step_role = ""
    if step is not None:
        step.finished_at, step.handed_by, step.outcome = now, user, outcome
        step.save(update_fields=["finished_at", "handed_by", "outcome"])
    return step


def _step_agency(dossier: Dossier, template: dict):
    """Where a step is held: the deciding agency, except reception's steps of a dossier a Public
    Administration Service Centre handed over (the return), held by the centre."""
    if template.get("role") == ROLE_RECEPTION and dossier.reception_centre_id is not None:
        return dossier.reception_centre
    return dossier.receiving_agency


def step_open(*, dossier: Dossier, index: int, now: dt.datetime, assignee=None, agency=None) -> DossierStep:
    """Open step ``index`` of the template (the caller has closed the previous one)."""
    steps = steps_template(dossier)
    index = max(0, min(index, len(steps) - 1))
    template = steps[index]
    seq = DossierStep.objects.filter(dossier=dossier).count() + 1
    step = DossierStep.objects.create(
        dossier=dossier,
        seq=seq,
        index=index,
        key=template["key"],
        name=template["name"],
        role=template["role"],
        agency=agency or _step_agency(dossier, template),
        assignee=assignee,
        started_at=now,
        due_at=step_due(dossier=dossier, step=template, start=now),
    )
    dossier.current_step = index
    dossier.step_role = template["role"]
    return step


def step_move(*, dossier: Dossier, user, now: dt.datetime, index: int | None, outcome: str, assignee=None) -> None:
    """Close the open step and open ``index`` (none when the processing has ended)."""
    step_close(dossier=dossier, user=user, now=now, outcome=outcome)
    if index is None:
        dossier.step_role = ""
    else:
        step_open(dossier=dossier, index=index, now=now, assignee=assignee)


def step_reassign(*, dossier: Dossier, assignee) -> None:
    DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).update(assignee=assignee)
