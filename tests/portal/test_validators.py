from datetime import date

import pytest
from django.core.exceptions import ValidationError

from portal.validators import (
    citizen_id_matches,
    normalise_phone,
    validate_citizen_id,
    validate_phone,
    validate_tax_code,
)


@pytest.mark.parametrize("value", ["001090012345", "079203000001", "096185999999"])
def test_citizen_id_accepts_valid(value):
    validate_citizen_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("00109001234", "citizen_id_format"),  # 11 digits
        ("0010900123456", "citizen_id_format"),  # 13 digits
        ("00109001234a", "citizen_id_format"),
        ("", "citizen_id_format"),
        ("003090012345", "citizen_id_province"),  # 003 is no province code
        ("099090012345", "citizen_id_province"),
    ],
)
def test_citizen_id_rejects_invalid(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_citizen_id(value)
    assert exc.value.code == code
    assert "CCCD" in str(exc.value.messages[0]) or "tỉnh" in str(exc.value.messages[0])


@pytest.mark.parametrize(
    ("value", "born", "sex", "ok"),
    [
        ("001090012345", date(1990, 5, 1), "male", True),
        ("001190012345", date(1990, 5, 1), "female", True),
        ("001203012345", date(2003, 5, 1), "male", True),
        ("001303012345", date(2003, 5, 1), "female", True),
        ("001090012345", date(1990, 5, 1), "female", False),  # sex digit
        ("001091012345", date(1990, 5, 1), "male", False),  # year digits
        ("001290012345", date(1990, 5, 1), "male", False),  # century digit
    ],
)
def test_citizen_id_century_sex_and_year(value, born, sex, ok):
    assert citizen_id_matches(value, birth_date=born, sex=sex) is ok


@pytest.mark.parametrize("value", ["0100109106", "0100109106-001", "0100109106001", "0100 109 106"])
def test_tax_code_accepts_valid(value):
    validate_tax_code(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0100109107", "tax_code_checksum"),  # wrong check digit
        ("010010910", "tax_code_format"),  # 9 digits
        ("01001091061", "tax_code_format"),  # 11 digits
        ("0100109106-000", "tax_code_branch"),
        ("abcdefghij", "tax_code_format"),
        ("0100109106-01", "tax_code_format"),
    ],
)
def test_tax_code_rejects_invalid(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_tax_code(value)
    assert exc.value.code == code


@pytest.mark.parametrize("value", ["0912345678", "+84912345678", "84 912 345 678", "0328-123-456", "0866123456"])
def test_phone_accepts_mobile(value):
    validate_phone(value)
    assert normalise_phone(value).startswith("0")
    assert len(normalise_phone(value)) == 10


@pytest.mark.parametrize("value", ["0212345678", "091234567", "09123456789", "+1 415 555 0100", "hello", "0112345678"])
def test_phone_rejects_others(value):
    with pytest.raises(ValidationError) as exc:
        validate_phone(value)
    assert exc.value.code == "phone_format"
