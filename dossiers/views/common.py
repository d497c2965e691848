"""Small helpers shared by the dossiers pages."""

from django.core.exceptions import ValidationError

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def errors_of(error: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as ``{field: [messages]}`` (``__all__`` when not per field)."""
    if hasattr(error, "error_dict"):
        return {key: list(messages) for key, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def csv_cell(value) -> str:
    """A text cell for a CSV export, quoted with ``'`` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text
