"""Amounts of money as people read them, one format everywhere (issue 19).

Vietnamese group digits with dots and write the unit after the number: ``8.000 đồng`` in
running text, ``8.000 đ`` in tables and buttons. English readers group with commas and read
``VND 8,000``. Slips, receipts and reports are Vietnamese documents and always use the
Vietnamese form; pages and e-mails follow the active language.
"""

from django.utils import translation


def _whole(amount) -> int | None:
    try:
        return int(amount)
    except (TypeError, ValueError):
        return None


def money_digits(amount) -> str:
    """An amount's digits grouped as Vietnamese write them: ``8.000`` (empty when not a number)."""
    value = _whole(amount)
    return "" if value is None else f"{value:,}".replace(",", ".")


def money_text(amount, *, language: str | None = None) -> str:
    """An amount in running text: ``8.000 đồng`` (English: ``VND 8,000``)."""
    value = _whole(amount)
    if value is None:
        return ""
    if (language or translation.get_language() or "vi").startswith("en"):
        return f"VND {value:,}"
    return f"{money_digits(value)} đồng"


def money_short(amount, *, language: str | None = None) -> str:
    """An amount in a table cell or a button: ``8.000 đ`` (English: ``VND 8,000``)."""
    value = _whole(amount)
    if value is None:
        return ""
    if (language or translation.get_language() or "vi").startswith("en"):
        return f"VND {value:,}"
    return f"{money_digits(value)} đ"
