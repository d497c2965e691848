"""Template filters for amounts: ``{{ x|money }}`` in text, ``{{ x|money_short }}`` in tables."""

from django import template

from portal import money as formats

register = template.Library()


@register.filter
def money(amount) -> str:
    return formats.money_text(amount)


@register.filter
def money_short(amount) -> str:
    return formats.money_short(amount)


@register.filter
def money_vi(amount) -> str:
    """Vietnamese documents (slips, receipts, reports) whatever the page's language."""
    return formats.money_text(amount, language="vi")


@register.filter
def money_digits(amount) -> str:
    return formats.money_digits(amount)
