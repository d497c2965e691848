"""Validators for Vietnamese identifiers: citizen ID (CCCD), tax code (MST), mobile phone.

Each raises ValidationError with a Vietnamese message (translated to English by the
locale) and a stable code, so forms and the API report the same thing.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Birth-registration province codes of the citizen ID (Circular 59/2021/TT-BCA,
# annex): the 63 pre-2025 provinces. The 34 merged provinces kept codes from this set.
CITIZEN_ID_PROVINCE_CODES = frozenset(
    {
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017",
        "019", "020", "022", "024", "025", "026", "027", "030", "031", "033", "034",
        "035", "036", "037", "038", "040", "042", "044", "045", "046", "048", "049",
        "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068",
        "070", "072", "074", "075", "077", "079", "080", "082", "083", "084", "086",
        "087", "089", "091", "092", "093", "094", "095", "096",
    }
)  # fmt: skip

_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
# re.ASCII: "\d" must not accept other scripts' digits ("٠١٢…"), which int() would happily read.
_MOBILE_RE = re.compile(r"^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$", re.ASCII)


def citizen_id_parts(value: str) -> tuple[str, int, str]:
    """Return (province code, century/sex digit, two-digit birth year)."""
    return value[:3], int(value[3]), value[4:6]


def validate_citizen_id(value: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value, re.ASCII):
        raise ValidationError(_("Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."), code="citizen_id_format")
    province, _century_sex, _year = citizen_id_parts(value)
    if province not in CITIZEN_ID_PROVINCE_CODES:
        raise ValidationError(
            _("Ba chữ số đầu của số CCCD (%(code)s) không phải mã tỉnh hợp lệ."),
            code="citizen_id_province",
            params={"code": province},
        )


def citizen_id_matches(value: str, *, birth_date: date, sex: str) -> bool:
    """Check the century/sex digit and the birth year against the person's data.

    Digit 4 is 0/1 for men/women born 1900–1999, 2/3 for 2000–2099, 4/5 for
    2100–2199 and so on; digits 5–6 are the last two digits of the birth year.
    """
    _province, century_sex, year = citizen_id_parts(value)
    century = birth_date.year // 100 - 19
    expected = century * 2 + (1 if sex == "female" else 0)
    return century_sex == expected and year == f"{birth_date.year % 100:02d}"


def normalise_tax_code(value: str) -> str:
    """Drop spaces and dots; write a branch's 13 digits the official way, ``0100109106-001``,
    so the same code is stored (and found unique) whichever way it was typed."""
    code = re.sub(r"[\s.]", "", value or "")
    if re.fullmatch(r"\d{10}-?\d{3}", code, re.ASCII):
        digits = code.replace("-", "")
        return f"{digits[:10]}-{digits[10:]}"
    return code


def validate_tax_code(value: str) -> None:
    """A tax code (mã số thuế) is 10 digits with a check digit, or 13 for a branch
    (the parent's 10 digits, then 001–999, often written with a hyphen)."""
    code = normalise_tax_code(value)
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", code, re.ASCII)
    if not match:
        raise ValidationError(
            _("Mã số thuế phải gồm 10 chữ số, hoặc 13 chữ số đối với đơn vị phụ thuộc."),
            code="tax_code_format",
        )
    base, branch = match.groups()
    total = sum(int(d) * w for d, w in zip(base[:9], _TAX_WEIGHTS, strict=True))
    check = 10 - total % 11
    if check == 10 or int(base[9]) != check:
        raise ValidationError(
            _("Mã số thuế %(value)s không hợp lệ (sai chữ số kiểm tra)."),
            code="tax_code_checksum",
            params={"value": value},
        )
    if branch == "000":
        raise ValidationError(
            _("Ba chữ số cuối của mã số thuế đơn vị phụ thuộc phải từ 001 đến 999."),
            code="tax_code_branch",
        )


def normalise_phone(value: str) -> str:
    phone = re.sub(r"[\s.\-()]", "", value or "")
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) == 11:
        phone = "0" + phone[2:]
    return phone


def validate_phone(value: str) -> None:
    if not _MOBILE_RE.fullmatch(normalise_phone(value)):
        raise ValidationError(
            _("Số điện thoại di động không hợp lệ (ví dụ: 0912345678 hoặc +84912345678)."),
            code="phone_format",
        )
