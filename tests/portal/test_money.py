"""One money format (issue 19): "8.000 đồng" in text, "8.000 đ" in tables, "VND 8,000" in English;
Vietnamese documents keep the Vietnamese form whatever the page's language."""

import pytest
from django.template import Context, Template
from django.utils import translation

from portal.money import money_digits, money_short, money_text


@pytest.mark.parametrize(
    ("amount", "digits", "text", "short"),
    [
        (0, "0", "0 đồng", "0 đ"),
        (8000, "8.000", "8.000 đồng", "8.000 đ"),
        (16000, "16.000", "16.000 đồng", "16.000 đ"),
        (1234567, "1.234.567", "1.234.567 đồng", "1.234.567 đ"),
        ("8000", "8.000", "8.000 đồng", "8.000 đ"),
    ],
)
def test_vietnamese_forms(amount, digits, text, short):
    with translation.override("vi"):
        assert money_digits(amount) == digits
        assert money_text(amount) == text
        assert money_short(amount) == short


def test_english_reads_vnd_with_commas():
    with translation.override("en"):
        assert money_text(8000) == "VND 8,000"
        assert money_short(1234567) == "VND 1,234,567"
        assert money_text(8000, language="vi") == "8.000 đồng"


@pytest.mark.parametrize("amount", [None, "", "tám nghìn", "8.000"])
def test_what_is_not_an_amount_shows_nothing(amount):
    assert money_text(amount) == "" and money_short(amount) == "" and money_digits(amount) == ""


def test_template_filters():
    template = Template("{% load money %}{{ a|money }}|{{ a|money_short }}|{{ a|money_vi }}|{{ a|money_digits }}")
    with translation.override("vi"):
        assert template.render(Context({"a": 8000})) == "8.000 đồng|8.000 đ|8.000 đồng|8.000"
    with translation.override("en"):
        assert template.render(Context({"a": 8000})) == "VND 8,000|VND 8,000|8.000 đồng|8.000"
