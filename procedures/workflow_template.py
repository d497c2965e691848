"""Workflow templates (quy trình nội bộ) of procedure versions: ordered steps for the engine.

Each step: ``key``, ``name``, ``role`` (an officer role), ``duration`` with its ``unit``
(working hours or days) and ``send_back_to``, the key of an earlier step a "send back" returns to.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.constants import OfficerRole
from procedures.constants import StepTimeUnit

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
STEP_KEYS = {"key", "name", "role", "duration", "unit", "send_back_to"}
MAX_STEPS = 50


def workflow_steps_validate(steps: Any) -> list[dict]:
    """Check a list of steps and return it normalised; raise ValidationError naming each bad path."""
    if steps in (None, []):
        return []
    if not isinstance(steps, list):
        raise ValidationError([str(_("Quy trình phải là danh sách các bước."))], code="workflow")
    if len(steps) > MAX_STEPS:
        raise ValidationError([str(_("Quy trình có tối đa %(max)s bước.")) % {"max": MAX_STEPS}], code="workflow")
    errors: list[str] = []
    result: list[dict] = []
    keys: list[str] = []
    for i, step in enumerate(steps):
        path = f"[{i}]"
        if not isinstance(step, dict):
            errors.append(f"{path}: " + str(_("mỗi bước phải là một đối tượng JSON.")))
            continue
        for extra in sorted(set(step) - STEP_KEYS):
            errors.append(f"{path}.{extra}: " + str(_("thuộc tính không được hỗ trợ.")))
        key = step.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.append(f"{path}.key: " + str(_("mã bước chỉ gồm a–z, 0–9, dấu gạch dưới.")))
        elif key in keys:
            errors.append(f"{path}.key: " + str(_("mã bước “%(key)s” bị trùng.")) % {"key": key})
        name = step.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            errors.append(f"{path}.name: " + str(_("tên bước là bắt buộc, tối đa 255 ký tự.")))
        if step.get("role") not in OfficerRole.values:
            errors.append(
                f"{path}.role: "
                + str(_("vai trò “%(role)s” không hợp lệ; các vai trò: %(roles)s."))
                % {"role": str(step.get("role"))[:50], "roles": ", ".join(OfficerRole.values)}
            )
        duration = step.get("duration")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0 or duration > 10_000:
            errors.append(f"{path}.duration: " + str(_("thời gian phải là số nguyên từ 0 đến 10000.")))
        if step.get("unit") not in StepTimeUnit.values:
            errors.append(f"{path}.unit: " + str(_("đơn vị thời gian phải là “hours” hoặc “days”.")))
        back = step.get("send_back_to")
        if back not in (None, "") and back not in keys:
            errors.append(f"{path}.send_back_to: " + str(_("phải là mã của một bước đứng trước.")))
        if isinstance(key, str):
            keys.append(key)
        result.append(
            {
                "key": key,
                "name": name.strip() if isinstance(name, str) else name,
                "role": step.get("role"),
                "duration": duration,
                "unit": step.get("unit"),
                "send_back_to": back or None,
            }
        )
    if errors:
        raise ValidationError(errors, code="workflow")
    return result
