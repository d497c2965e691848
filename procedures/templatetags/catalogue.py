"""Template filters of the catalogue pages."""

from django import template

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """An amount in đồng with Vietnamese digit grouping: 150000 → "150.000"."""
    try:
        return f"{int(amount):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


@register.filter
def vn_date(value) -> str:
    """An ISO date string (as stored in JSON documents) shown as dd/mm/yyyy."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value or ""
