"""The one way free text and money amounts are cleaned before a service uses them.

Forms and serializers parse at the edge; these helpers give services a single rule for what
they accept: trimmed text of a bounded length, and whole amounts of đồng.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TEXT_MAX_LENGTH = 2000
REASON_MIN_LENGTH = 5


def text_clean(
    value,
    *,
    field: str,
    required: bool = False,
    minimum: int = 1,
    maximum: int = TEXT_MAX_LENGTH,
    message: str = "",
    too_long: str = "",
) -> str:
    """``value`` trimmed; a ValidationError keyed by ``field`` when required and shorter than
    ``minimum`` (``message``, or a generic one), or longer than ``maximum`` (``too_long``).
    Anything but a string counts as empty."""
    value = value.strip() if isinstance(value, str) else ""
    if required and len(value) < minimum:
        if message:
            text = message
        elif minimum > 1:
            text = _("Vui lòng nhập nội dung (ít nhất %(min)d ký tự).") % {"min": minimum}
        else:
            text = _("Vui lòng nhập nội dung.")
        raise ValidationError({field: [text]})
    if len(value) > maximum:
        raise ValidationError({field: [too_long or _("Tối đa %(max)d ký tự.") % {"max": maximum}]}, code="too_long")
    return value


def money_parse(value) -> int | None:
    """A whole amount of đồng from an integer or a string written ``8000``, ``8.000`` or ``8,000``;
    None when it is not one (a fraction, a negative sign, words)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    return int(text) if text.isdigit() else None
