"""The declared answers (nội dung kê khai) of a form, read back with the schema's labels.

One presenter walks a version's form schema over the stored answers, so every place that
shows what an applicant declared (the officer's dossier page, the API's ``answers``, slips)
shows the same thing: the fields in the schema's order with their labels, a choice by its
label, a date as dd/mm/yyyy, a yes/no as Có/Không, money with Vietnamese digit grouping.

The schema has no heading type, so its sections follow its structure: a run of plain fields
is one section ("Thông tin kê khai"), each repeating group (nhóm lặp lại) is a section of its
own with one row per item. Answers the schema no longer knows (a version changed after a draft
was saved) come last, under "Thông tin khác", by their key, so nothing declared is hidden.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

EMPTY = (None, "", [])


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _grouped(value: Any) -> str:
    """A number with Vietnamese grouping (1.500.000) and a decimal comma (2,5)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}".replace(",", ".")
    whole, _dot, fraction = f"{number:f}".partition(".")
    return f"{int(Decimal(whole)):,}".replace(",", ".") + "," + fraction.rstrip("0")


def _display(spec: dict, value: Any) -> str:
    """How one answer reads on a page: the text an officer sees for the raw stored value."""
    if value in EMPTY:
        return ""
    kind = spec.get("type")
    if kind == "yes_no":
        if isinstance(value, str):
            value = value.strip().lower() in ("true", "1")
        return _("Có") if value else _("Không")
    if kind == "date":
        return _date(value)
    if kind in ("choice", "multiple_choice"):
        labels = {c["value"]: c["label"] for c in spec.get("choices", ())}
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(v, v)) for v in values)
    if kind == "money":
        return _grouped(value) + " đ"
    if kind == "number":
        return _grouped(value)
    return str(value)


def _entry(spec: dict, value: Any) -> dict:
    return {
        "name": spec["name"],
        "label": spec.get("label") or spec["name"],
        "type": spec.get("type", "text"),
        "value": value,
        "display": _display(spec, value),
    }


def form_answers_present(schema: dict | None, data: dict | None) -> list[dict]:
    """The answers ``data`` read with ``schema``, as sections.

    Each section is ``{"key", "label", "repeating", "rows"}``; ``rows`` is a list of rows, a
    row a list of ``{"name", "label", "type", "value", "display"}`` in the schema's order. A
    plain section has exactly one row; a repeating group has one row per item (none: no row).
    """
    data = data if isinstance(data, dict) else {}
    fields = (schema or {}).get("fields", []) or []
    sections: list[dict] = []
    plain: list[dict] = []

    def close_plain() -> None:
        if plain:
            number = sum(1 for s in sections if not s["repeating"]) + 1
            sections.append(
                {
                    "key": "main" if number == 1 else f"main-{number}",
                    "label": _("Thông tin kê khai"),
                    "repeating": False,
                    "rows": [list(plain)],
                }
            )
            plain.clear()

    for spec in fields:
        if spec.get("type") != "group":
            plain.append(_entry(spec, data.get(spec["name"])))
            continue
        close_plain()
        items = data.get(spec["name"])
        subfields = spec.get("fields", [])
        rows = [
            [_entry(sub, item.get(sub["name"])) for sub in subfields]
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]
        sections.append(
            {"key": spec["name"], "label": spec.get("label") or spec["name"], "repeating": True, "rows": rows}
        )
    close_plain()
    known = {spec["name"] for spec in fields}
    others = [
        {"name": str(key), "label": str(key), "type": "unknown", "value": value, "display": _other(value)}
        for key, value in data.items()
        if key not in known and value not in EMPTY
    ]
    if others:
        sections.append({"key": "other", "label": _("Thông tin khác"), "repeating": False, "rows": [others]})
    return sections


def _other(value: Any) -> str:
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, list):
        return ", ".join(_other(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_other(v)}" for k, v in value.items())
    return str(value)
