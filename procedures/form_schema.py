"""Online form schemas (biểu mẫu điện tử) of procedures: validate, render, check answers.

A schema is ``{"fields": [...]}``: typed fields (text, long text, number, money, date, choice,
multiple choice, yes/no, email, phone, citizen ID, tax code, address, and a repeating group
of such fields), each with required/optional, help text, validation rules and an optional
prefill source (a citizen-profile or organisation attribute).

One builder turns a schema into a Django form (rendered with crispy forms); the API checks
answers by running the very same form (``form_schema_validate_data``), so a rule holds
whichever door the answers come through.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.validators import (
    normalise_phone,
    normalise_tax_code,
    validate_citizen_id,
    validate_phone,
    validate_tax_code,
)

FIELD_TYPES: dict[str, Any] = {
    "text": _("Văn bản ngắn"),
    "long_text": _("Văn bản dài"),
    "number": _("Số"),
    "money": _("Số tiền (đồng)"),
    "date": _("Ngày"),
    "choice": _("Chọn một"),
    "multiple_choice": _("Chọn nhiều"),
    "yes_no": _("Có/Không"),
    "email": _("Email"),
    "phone": _("Số điện thoại"),
    "citizen_id": _("Số định danh cá nhân"),
    "tax_code": _("Mã số thuế"),
    "address": _("Địa chỉ"),
    "group": _("Nhóm lặp lại"),
}

# Where a field's initial value may come from: "<source>.<attribute>".
PREFILL_SOURCES: dict[str, Any] = {
    "profile.full_name": _("Họ và tên (hồ sơ công dân)"),
    "profile.date_of_birth": _("Ngày sinh (hồ sơ công dân)"),
    "profile.sex": _("Giới tính (hồ sơ công dân)"),
    "profile.citizen_id": _("Số định danh cá nhân (hồ sơ công dân)"),
    "profile.phone": _("Số điện thoại (hồ sơ công dân)"),
    "profile.email": _("Email (hồ sơ công dân)"),
    "profile.permanent_address": _("Địa chỉ thường trú (hồ sơ công dân)"),
    "profile.current_address": _("Nơi ở hiện tại (hồ sơ công dân)"),
    "organisation.name": _("Tên tổ chức"),
    "organisation.tax_code": _("Mã số thuế của tổ chức"),
    "organisation.address": _("Địa chỉ trụ sở"),
    "organisation.legal_representative": _("Người đại diện theo pháp luật"),
    "organisation.phone": _("Điện thoại của tổ chức"),
    "organisation.email": _("Email của tổ chức"),
    "user.email": _("Email tài khoản"),
    "user.full_name": _("Họ tên chủ tài khoản"),
}

TEXT_TYPES = {"text", "long_text", "email", "phone", "citizen_id", "tax_code", "address"}
DEFAULT_MAX_LENGTH = {"text": 255, "long_text": 5000, "address": 500, "email": 254, "phone": 20}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
FIELD_KEYS = {
    "name",
    "type",
    "label",
    "required",
    "help_text",
    "choices",
    "validation",
    "prefill",
    "correctable",
    "fields",
    "page",
    "autocomplete",
}
# The browser's autofill (HTML autofill detail tokens) a field may name with "autocomplete":
# each token with the field types it fits. Only for the applicant's own answers; a field about
# someone else (the child, the mother) has "off", or none.
AUTOCOMPLETE_TOKENS: dict[str, set[str]] = {
    "off": {"text", "long_text", "address", "email", "phone", "citizen_id", "tax_code"},
    "name": {"text"},
    "given-name": {"text"},
    "family-name": {"text"},
    "organization": {"text"},
    "email": {"email"},
    "tel": {"phone"},
    "street-address": {"address", "long_text", "text"},
    "address-line1": {"text", "address"},
    "address-level1": {"text"},  # the province
    "address-level2": {"text"},  # the commune (two-tier local government since 1 July 2025)
    "country-name": {"text"},
    "postal-code": {"text"},
}
# The token a field gets when its schema names none: the one its prefill source says is the
# applicant's own (an organisation's phone or e-mail is not the person's: no token).
PREFILL_AUTOCOMPLETE = {
    "profile.full_name": "name",
    "user.full_name": "name",
    "profile.email": "email",
    "user.email": "email",
    "profile.phone": "tel",
    "profile.permanent_address": "street-address",
    "profile.current_address": "street-address",
    "organisation.name": "organization",
}
VALIDATION_KEYS = {
    "text": {"min_length", "max_length", "regex", "regex_message"},
    "number": {"min", "max", "integer"},
    "money": {"min", "max"},
    "date": {"min", "max"},
    "group": {"min_items", "max_items"},
    "multiple_choice": {"min_items", "max_items"},
}
MAX_FIELDS = 200
MAX_GROUP_ROWS = 100
GROUP_EXTRA_ROWS = 2


def _validation_keys(field_type: str) -> set[str]:
    if field_type in TEXT_TYPES:
        return VALIDATION_KEYS["text"]
    return VALIDATION_KEYS.get(field_type, set())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_date_bound(value: Any) -> bool:
    if value == "today":
        return True
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_field(spec: Any, path: str, errors: list[str], *, in_group: bool) -> dict | None:
    if not isinstance(spec, dict):
        errors.append(f"{path}: " + str(_("mỗi trường phải là một đối tượng JSON.")))
        return None
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        errors.append(
            f"{path}.name: "
            + str(_("tên trường phải bắt đầu bằng chữ thường, chỉ gồm a–z, 0–9, dấu gạch dưới, tối đa 50 ký tự."))
        )
    else:
        path = f"{path}({name})"
    for key in sorted(set(spec) - FIELD_KEYS):
        errors.append(f"{path}.{str(key)[:50]}: " + str(_("thuộc tính không được hỗ trợ.")))
    field_type = spec.get("type")
    if not isinstance(field_type, str) or field_type not in FIELD_TYPES:  # a list or an object is no type
        errors.append(
            f"{path}.type: "
            + str(_("loại trường “%(type)s” không được hỗ trợ; các loại hợp lệ: %(types)s."))
            % {"type": str(field_type)[:50], "types": ", ".join(FIELD_TYPES)}
        )
        return None
    if field_type == "group" and in_group:
        errors.append(f"{path}.type: " + str(_("nhóm lặp lại không được lồng trong nhóm khác.")))
        return None
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 500:
        errors.append(f"{path}.label: " + str(_("nhãn là bắt buộc, tối đa 500 ký tự.")))
    required = spec.get("required", False)
    if not isinstance(required, bool):
        errors.append(f"{path}.required: " + str(_("phải là true hoặc false.")))
    help_text = spec.get("help_text", "")
    if not isinstance(help_text, str) or len(help_text) > 1000:
        errors.append(f"{path}.help_text: " + str(_("phải là chuỗi, tối đa 1000 ký tự.")))
    clean: dict[str, Any] = {
        "name": name,
        "type": field_type,
        "label": label.strip() if isinstance(label, str) else label,
        "required": required,
        "help_text": help_text,
    }
    # choices
    if field_type in ("choice", "multiple_choice"):
        choices = spec.get("choices")
        clean_choices = []
        if not isinstance(choices, list) or not choices:
            errors.append(f"{path}.choices: " + str(_("trường chọn phải có danh sách lựa chọn.")))
        else:
            seen = set()
            for i, choice in enumerate(choices):
                if isinstance(choice, str):
                    choice = {"value": choice, "label": choice}
                if (
                    not isinstance(choice, dict)
                    or not isinstance(choice.get("value"), str)
                    or not choice["value"]
                    or not isinstance(choice.get("label", choice.get("value")), str)
                ):
                    errors.append(f"{path}.choices[{i}]: " + str(_("mỗi lựa chọn cần “value” và “label” là chuỗi.")))
                    continue
                if choice["value"] in seen:
                    errors.append(f"{path}.choices[{i}]: " + str(_("giá trị lựa chọn bị trùng.")))
                seen.add(choice["value"])
                clean_choices.append({"value": choice["value"], "label": choice.get("label") or choice["value"]})
        clean["choices"] = clean_choices
    elif "choices" in spec:
        errors.append(f"{path}.choices: " + str(_("chỉ trường chọn mới có danh sách lựa chọn.")))
    # validation rules
    validation = spec.get("validation") or {}
    if not isinstance(validation, dict):
        errors.append(f"{path}.validation: " + str(_("phải là một đối tượng JSON.")))
        validation = {}
    allowed = _validation_keys(field_type)
    for key in sorted(set(validation) - allowed):
        errors.append(f"{path}.validation.{key}: " + str(_("quy tắc không áp dụng cho loại trường này.")))
    for key in ("min_length", "max_length", "min_items", "max_items"):
        if key in validation and key in allowed and (not _is_int(validation[key]) or validation[key] < 0):
            errors.append(f"{path}.validation.{key}: " + str(_("phải là số nguyên không âm.")))
    for key in ("min", "max"):
        if key in validation and key in allowed:
            value = validation[key]
            ok = _parse_date_bound(value) if field_type == "date" else _is_number(value)
            if field_type == "money" and ok:
                ok = _is_int(value)
            if not ok:
                errors.append(f"{path}.validation.{key}: " + str(_("giá trị giới hạn không hợp lệ.")))
    if "integer" in validation and "integer" in allowed and not isinstance(validation["integer"], bool):
        errors.append(f"{path}.validation.integer: " + str(_("phải là true hoặc false.")))
    if validation.get("integer") is True and any(
        key in validation and not _is_int(validation[key]) for key in ("min", "max")
    ):
        errors.append(f"{path}.validation: " + str(_("giới hạn của số nguyên phải là số nguyên.")))
    if "regex" in validation and "regex" in allowed:
        regex = validation["regex"]
        try:
            if not isinstance(regex, str) or len(regex) > 500:
                raise re.error("bad")
            re.compile(regex)
        except re.error:
            errors.append(f"{path}.validation.regex: " + str(_("biểu thức chính quy không hợp lệ.")))
    if "regex_message" in validation and not isinstance(validation["regex_message"], str):
        errors.append(f"{path}.validation.regex_message: " + str(_("phải là chuỗi.")))
    clean["validation"] = {k: v for k, v in validation.items() if k in allowed}
    # prefill
    prefill = spec.get("prefill")
    if prefill not in (None, "") and (not isinstance(prefill, str) or prefill not in PREFILL_SOURCES):
        errors.append(
            f"{path}.prefill: "
            + str(_("nguồn điền sẵn “%(source)s” không được hỗ trợ.")) % {"source": str(prefill)[:50]}
        )
    clean["prefill"] = prefill or None
    autocomplete = spec.get("autocomplete")
    if autocomplete not in (None, ""):
        if not isinstance(autocomplete, str) or autocomplete not in AUTOCOMPLETE_TOKENS:
            errors.append(
                f"{path}.autocomplete: "
                + str(_("giá trị “%(token)s” không được hỗ trợ; các giá trị hợp lệ: %(tokens)s."))
                % {"token": str(autocomplete)[:50], "tokens": ", ".join(AUTOCOMPLETE_TOKENS)}
            )
        elif field_type not in AUTOCOMPLETE_TOKENS[autocomplete]:
            errors.append(
                f"{path}.autocomplete: "
                + str(_("giá trị “%(token)s” không áp dụng cho loại trường này.")) % {"token": autocomplete}
            )
        else:
            clean["autocomplete"] = autocomplete
    # correctable: an answer a national database gave for this prefilled field may be corrected
    # by the applicant with a reason (dossiers.services.once_only); without it, it is read-only.
    correctable = spec.get("correctable", False)
    if not isinstance(correctable, bool):
        errors.append(f"{path}.correctable: " + str(_("phải là true hoặc false.")))
    elif correctable and not prefill:
        errors.append(f"{path}.correctable: " + str(_("chỉ trường có nguồn điền sẵn mới cho phép sửa có lý do.")))
    elif correctable:
        clean["correctable"] = True
    # page: the title of the wizard page the field is asked on (a run of fields with the same
    # title is one page); none on any field: the whole form on one page.
    page = spec.get("page")
    if page not in (None, ""):
        if in_group:
            errors.append(f"{path}.page: " + str(_("trường con của nhóm lặp lại ở cùng trang với nhóm.")))
        elif not isinstance(page, str) or not page.strip() or len(page) > 200:
            errors.append(f"{path}.page: " + str(_("tên trang phải là chuỗi, tối đa 200 ký tự.")))
        else:
            clean["page"] = page.strip()
    # group
    if field_type == "group":
        sub = spec.get("fields")
        if not isinstance(sub, list) or not sub:
            errors.append(f"{path}.fields: " + str(_("nhóm lặp lại phải có ít nhất một trường con.")))
            clean["fields"] = []
        else:
            clean["fields"] = _check_fields(sub, f"{path}.fields", errors, in_group=True)
    elif "fields" in spec:
        errors.append(f"{path}.fields: " + str(_("chỉ nhóm lặp lại mới có trường con.")))
    return clean


def _check_fields(specs: list, path: str, errors: list[str], *, in_group: bool) -> list[dict]:
    result, names = [], set()
    if len(specs) > MAX_FIELDS:
        errors.append(f"{path}: " + str(_("quá nhiều trường (tối đa %(max)s).")) % {"max": MAX_FIELDS})
        return []
    for i, spec in enumerate(specs):
        clean = _check_field(spec, f"{path}[{i}]", errors, in_group=in_group)
        if clean is None:
            continue
        if clean["name"] in names:
            errors.append(f"{path}[{i}].name: " + str(_("tên trường “%(name)s” bị trùng.")) % {"name": clean["name"]})
        names.add(clean["name"])
        result.append(clean)
    return result


def form_schema_validate(schema: Any) -> dict:
    """Check a schema and return it normalised; raise ValidationError listing every problem.

    Each message starts with the path of the offending field, e.g. ``fields[2](birth_date).type``.
    """
    errors: list[str] = []
    if schema in (None, {}, []):
        return {"fields": []}
    if isinstance(schema, list):
        schema = {"fields": schema}
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise ValidationError([str(_('Biểu mẫu phải có dạng {"fields": [...]}.'))], code="form_schema")
    for key in sorted(set(schema) - {"fields"}):
        errors.append(f"{key}: " + str(_("thuộc tính không được hỗ trợ.")))
    fields = _check_fields(schema["fields"], "fields", errors, in_group=False)
    if errors:
        raise ValidationError(errors, code="form_schema")
    return {"fields": fields}


def form_schema_pages(schema: dict | None) -> list[dict]:
    """The wizard pages of a (validated) schema: ``[{"title", "fields": [spec, ...]}]``, a page
    per run of consecutive fields with the same ``page`` title (a field without one joins the
    page before it). A schema without pages, or with one, is a single page titled ""."""
    pages: list[dict] = []
    for spec in (schema or {}).get("fields", []):
        title = spec.get("page")
        if not pages or (title and title != pages[-1]["title"]):
            pages.append({"title": title or "", "fields": []})
        pages[-1]["fields"].append(spec)
    return pages or [{"title": "", "fields": []}]


def form_schema_page(schema: dict | None, number: int) -> dict:
    """Page ``number`` (from 1) of the schema as a schema of its own (for building and checking
    that page's part of the form)."""
    pages = form_schema_pages(schema)
    return {"fields": pages[number - 1]["fields"]}


# --- rendering and checking answers ----------------------------------------------------------


def _date_bound(value: Any) -> dt.date | None:
    if value is None:
        return None
    if value == "today":
        return timezone.localdate()
    return dt.date.fromisoformat(value)


class YesNoField(forms.NullBooleanField):
    widget = forms.RadioSelect(choices=[("true", _("Có")), ("false", _("Không"))])

    def to_python(self, value):
        if isinstance(value, str) and value.strip().lower() not in ("", "true", "false", "1", "0"):
            raise ValidationError(_("Chọn Có hoặc Không."), code="invalid")
        return super().to_python(value)

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


DATE_PARTS = (
    ("day", pgettext_lazy("date part", "Ngày"), 2),
    ("month", pgettext_lazy("date part", "Tháng"), 2),
    ("year", pgettext_lazy("date part", "Năm"), 4),
)
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def date_parts(value: Any) -> dict:
    """Day, month and year of a value as the date group shows it: typed parts, an ISO string
    (kept as typed, even an impossible ``2026-02-31``) or a date."""
    if isinstance(value, dict):
        return {key: str(value.get(key) or "") for key, _label, _size in DATE_PARTS}
    if isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    if isinstance(value, str) and value.count("-") == 2:
        year, month, day = value.split("-")
        return {"day": day, "month": month, "year": year}
    return {"day": "", "month": "", "year": ""}


def date_parts_iso(parts: dict) -> str:
    """The typed parts as one ``YYYY-MM-DD`` string (zero-padded where they are digits), so a
    draft keeps what was typed in the one format the API speaks."""
    day, month, year = (str(parts.get(key) or "").strip() for key in ("day", "month", "year"))
    if not (day or month or year):
        return ""
    return f"{year}-{month.zfill(2) if month.isdigit() else month}-{day.zfill(2) if day.isdigit() else day}"


class DateGroupWidget(forms.Widget):
    """A date as three inputs, day / month / year (the GOV.UK date input, in Vietnamese),
    inside the field's fieldset: numeric keypads, each part labelled, the error and help text
    tied to every input. An HTML form posts ``<name>-day``, ``-month``, ``-year``; the API (and
    a stored draft) gives one ISO string under ``<name>``."""

    use_fieldset = True

    def value_from_datadict(self, data, files, name):
        keys = [f"{name}-{key}" for key, _label, _size in DATE_PARTS]
        if any(key in data for key in keys):
            return {part: data.get(key, "") for (part, _label, _size), key in zip(DATE_PARTS, keys, strict=True)}
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}-{key}" in data for key, _label, _size in DATE_PARTS)

    def id_for_label(self, id_):
        return id_  # the day's input: where the error summary's link lands

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        base_id = attrs.pop("id", f"id_{name}")
        invalid = "is-invalid" in attrs.get("class", "") or attrs.get("aria-invalid") == "true"
        parts = date_parts(value)
        shared = {k: v for k, v in attrs.items() if k in ("aria-describedby", "aria-invalid", "readonly", "disabled")}
        prefix = attrs.get("aria-label", "")  # inside a repeating group's table: the column's name
        cells = []
        for key, label, size in DATE_PARTS:
            input_id = base_id if key == "day" else f"{base_id}-{key}"
            own = {**shared, "aria-label": f"{prefix}: {label}"} if prefix else shared
            extra = format_html_join(" ", '{}="{}"', sorted(own.items()))
            cells.append(
                format_html(
                    '<div class="col-{} col-sm-{} date-part"><label class="form-label small mb-1" for="{}">{}</label>'
                    '<input type="text" inputmode="numeric" pattern="[0-9]*" maxlength="{}" class="form-control{}" '
                    'name="{}" id="{}" value="{}"{}{}></div>',
                    4 if key == "year" else 3,
                    3 if key == "year" else 2,
                    input_id,
                    label,
                    size,
                    " is-invalid" if invalid else "",
                    f"{name}-{key}",
                    input_id,
                    parts[key],
                    mark_safe(" ") if extra else "",  # noqa: S308 - a literal space
                    extra,
                )
            )
        return format_html(
            '<div class="row g-2 date-group" id="{}-group">{}</div>',
            base_id,
            mark_safe("".join(cells)),  # noqa: S308
        )


def _date_label(field: forms.Field) -> str:
    label = str(field.label or _("Ngày")).strip().rstrip(":*").strip()
    return label[:1].upper() + label[1:]


class DateBoundField(forms.DateField):
    """A date typed as day / month / year (or given as ISO ``YYYY-MM-DD`` by the API), checked
    with messages that say what is wrong: a part missing, not a real date, after today."""

    widget = DateGroupWidget

    def __init__(self, *, min_date=None, max_date=None, **kwargs):
        self.min_date, self.max_date = min_date, max_date
        super().__init__(**kwargs)

    def _real_date(self, year: str, month: str, day: str) -> dt.date:
        label = _date_label(self)
        if not (year.isdigit() and month.isdigit() and day.isdigit()):
            raise ValidationError(_("%(label)s phải là một ngày có thật."), params={"label": label}, code="invalid")
        if len(year) != 4:
            raise ValidationError(_("%(label)s: năm phải gồm 4 chữ số."), params={"label": label}, code="invalid")
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(
                _("%(label)s phải là một ngày có thật."), params={"label": label}, code="invalid"
            ) from None

    def to_python(self, value):
        if isinstance(value, dict):
            parts = {key: str(value.get(key) or "").strip() for key, _label, _size in DATE_PARTS}
            if not any(parts.values()):
                return None
            missing = [str(label).lower() for key, label, _size in DATE_PARTS if not parts[key]]
            if missing:
                raise ValidationError(
                    _("%(label)s phải có %(parts)s."),
                    params={"label": _date_label(self), "parts": str(_(" và ")).join(missing)},
                    code="incomplete",
                )
            return self._real_date(parts["year"], parts["month"], parts["day"])
        if isinstance(value, str) and (match := ISO_DATE_RE.match(value.strip())):
            return self._real_date(*match.groups())
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        low, high = _date_bound(self.min_date), _date_bound(self.max_date)
        label = _date_label(self)
        if value and high and value > high:
            if self.max_date == "today":
                raise ValidationError(_("%(label)s không được sau hôm nay."), params={"label": label})
            raise ValidationError(
                _("%(label)s không được sau %(date)s."), params={"label": label, "date": f"{high:%d/%m/%Y}"}
            )
        if value and low and value < low:
            if self.min_date == "today":
                raise ValidationError(_("%(label)s không được trước hôm nay."), params={"label": label})
            raise ValidationError(
                _("%(label)s không được trước %(date)s."), params={"label": label, "date": f"{low:%d/%m/%Y}"}
            )


class _TelInput(forms.TextInput):
    input_type = "tel"


class IdentifierField(forms.CharField):
    """Citizen ID, tax code or phone: normalised before the shared validators run."""

    # A phone's keypad for digits; the browser's autofill only where the field is the person's
    # own (field_autocomplete), never for any phone number.
    WIDGET_ATTRS = {
        "citizen_id": {"inputmode": "numeric", "autocomplete": "off"},
        "tax_code": {"inputmode": "numeric", "autocomplete": "off"},
        "phone": {"inputmode": "tel", "type": "tel"},
    }

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        validator = {"citizen_id": validate_citizen_id, "tax_code": validate_tax_code, "phone": validate_phone}[kind]
        attrs = dict(self.WIDGET_ATTRS[kind])
        input_type = attrs.pop("type", "text")
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs) if input_type == "text" else _TelInput(attrs=attrs))
        super().__init__(validators=[validator], **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if self.kind == "tax_code":
            return normalise_tax_code(value)
        if self.kind == "phone":
            return normalise_phone(value)
        return value.replace(" ", "")


class GroupWidget(forms.Widget):
    """A repeating group as a table: one row per item, plus empty rows for new items."""

    def __init__(self, subfields: list[dict], attrs=None):
        self.subfields = subfields
        super().__init__(attrs)

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):  # a submitted HTML form: name-<row>-<sub>
            rows = []
            for i in range(MAX_GROUP_ROWS):
                row = {}
                for sub in self.subfields:
                    key = f"{name}-{i}-{sub['name']}"
                    if sub["type"] == "multiple_choice":
                        value = data.getlist(key)
                        if value:
                            row[sub["name"]] = value
                    elif sub["type"] == "date":
                        parts = DateGroupWidget().value_from_datadict(data, files, key)
                        value = date_parts_iso(parts) if isinstance(parts, dict) else parts
                        if value not in (None, ""):
                            row[sub["name"]] = value
                    elif key in data:
                        row[sub["name"]] = data.get(key)
                if not row and not any(k.startswith(f"{name}-{i}-") for k in data):
                    break
                if any(v not in ("", None, []) for v in row.values()):
                    rows.append(row)
            return rows
        return data.get(name)

    def render(self, name, value, attrs=None, renderer=None):
        rows = value if isinstance(value, list) else []
        described_by = (attrs or {}).get("aria-describedby", "")
        header = format_html_join("", '<th scope="col">{}</th>', ((sub["label"],) for sub in self.subfields))
        body = []
        for i in range(len(rows) + GROUP_EXTRA_ROWS):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            subform = build_form({"fields": self.subfields}, initial=row, prefix=f"{name}-{i}")
            cells = format_html_join(
                "",
                "<td>{}</td>",
                ((_cell_widget(subform[sub["name"]], sub, i, described_by),) for sub in self.subfields),
            )
            body.append(format_html("<tr>{}</tr>", cells))
        return format_html(
            '<div class="table-responsive"><table class="table table-sm schema-group" id="{}">'
            "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>",
            (attrs or {}).get("id", f"id_{name}"),
            header,
            mark_safe("".join(body)),  # noqa: S308 - rows built with format_html above
        )


def _cell_widget(bound_field, spec: dict, row: int, described_by: str = "") -> str:
    """A sub-field's input inside the group table, styled like crispy's, labelled for screen
    readers and tied to the group's error."""
    attrs = {"aria-label": f"{spec['label']} ({row + 1})"}
    if described_by:
        attrs["aria-describedby"] = described_by
    if spec["type"] == "choice":
        attrs["class"] = "form-select form-select-sm"
    elif spec["type"] not in ("multiple_choice", "yes_no"):
        attrs["class"] = "form-control form-control-sm"
    return bound_field.as_widget(attrs=attrs)


class GroupField(forms.Field):
    default_error_messages = {"invalid": _("Nhóm lặp lại phải là danh sách các dòng.")}

    def __init__(self, *, subfields: list[dict], min_items=None, max_items=None, **kwargs):
        self.subfields, self.min_items, self.max_items = subfields, min_items, max_items
        kwargs.setdefault("widget", GroupWidget(subfields))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        limit = min(self.max_items or MAX_GROUP_ROWS, MAX_GROUP_ROWS)
        if len(value) > limit:
            raise ValidationError(_("Tối đa %(max)s dòng."), params={"max": limit}, code="max_items")
        if self.min_items and len(value) < self.min_items:
            raise ValidationError(_("Cần ít nhất %(min)s dòng."), params={"min": self.min_items}, code="min_items")

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        cleaned, errors = [], []
        for i, row in enumerate(value, start=1):
            try:
                cleaned.append(_validate_answers(self.subfields, row))
            except ValidationError as error:
                for sub, messages in error.message_dict.items():
                    for message in messages:
                        errors.append(
                            ValidationError(
                                _("Dòng %(row)s, %(field)s: %(message)s"),
                                params={"row": i, "field": _label(self.subfields, sub), "message": message},
                            )
                        )
        if errors:
            raise ValidationError(errors)
        return cleaned


def _label(fields: list[dict], name: str) -> str:
    return next((f["label"] for f in fields if f["name"] == name), name)


def _text_validators(rules: dict) -> list:
    if "regex" not in rules:
        return []
    message = rules.get("regex_message") or _("Giá trị không đúng định dạng.")
    return [RegexValidator(rules["regex"], message=message)]


CHOSEN_KINDS = {"choice", "multiple_choice", "yes_no"}


def _required_message(spec: dict) -> str:
    """A message that says what to do, in the GOV.UK habit ("Nhập họ, chữ đệm, tên của trẻ."),
    instead of "Trường này là bắt buộc." repeated down the page."""
    label = str(spec["label"]).strip().rstrip(":*").strip()
    label = label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label
    text = _("Chọn %(label)s.") if spec["type"] in CHOSEN_KINDS else _("Nhập %(label)s.")
    # Lazy: the form class is built once per process and serves every language.
    return lazy(lambda: str(text) % {"label": label}, str)()


def field_autocomplete(spec: dict) -> str | None:
    """The autofill token of a field: the schema's own, else the one its prefill source implies."""
    return spec.get("autocomplete") or PREFILL_AUTOCOMPLETE.get(spec.get("prefill") or "")


def _make_field(spec: dict) -> forms.Field:
    field = _make_bare_field(spec)
    if token := field_autocomplete(spec):
        field.widget.attrs["autocomplete"] = token
    return field


def _make_bare_field(spec: dict) -> forms.Field:
    kind, rules = spec["type"], spec.get("validation") or {}
    common = {
        "label": spec["label"],
        "required": spec.get("required", False),
        "help_text": spec.get("help_text", ""),
        "error_messages": {"required": _required_message(spec)},
    }
    if kind in ("text", "address", "long_text"):
        widget = forms.Textarea(attrs={"rows": 3 if kind == "long_text" else 2}) if kind != "text" else None
        return forms.CharField(
            max_length=rules.get("max_length", DEFAULT_MAX_LENGTH[kind]),
            min_length=rules.get("min_length"),
            validators=_text_validators(rules),
            widget=widget,
            **common,
        )
    if kind == "email":
        return forms.EmailField(
            max_length=rules.get("max_length", DEFAULT_MAX_LENGTH["email"]),
            validators=_text_validators(rules),
            **common,
        )
    if kind in ("phone", "citizen_id", "tax_code"):
        return IdentifierField(kind=kind, max_length=rules.get("max_length", 20), **common)
    if kind == "number" and rules.get("integer"):
        # Counts (copies, pages, people) are whole numbers: 1.5 copies is refused, not rounded.
        return forms.IntegerField(
            min_value=rules.get("min"),
            max_value=rules.get("max"),
            widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            **{**common, "error_messages": {**common["error_messages"], "invalid": _("Nhập một số nguyên, ví dụ 2.")}},
        )
    if kind == "number":
        return forms.DecimalField(
            max_digits=24, decimal_places=6, min_value=rules.get("min"), max_value=rules.get("max"), **common
        )
    if kind == "money":
        return forms.IntegerField(
            min_value=max(rules.get("min", 0), 0),
            max_value=rules.get("max"),
            widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            **common,
        )
    if kind == "date":
        return DateBoundField(min_date=rules.get("min"), max_date=rules.get("max"), **common)
    if kind == "choice":
        choices = [(c["value"], c["label"]) for c in spec["choices"]]
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == "multiple_choice":
        return forms.MultipleChoiceField(
            choices=[(c["value"], c["label"]) for c in spec["choices"]],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == "yes_no":
        return YesNoField(**common)
    if kind == "group":
        return GroupField(
            subfields=spec["fields"], min_items=rules.get("min_items"), max_items=rules.get("max_items"), **common
        )
    raise ValueError(kind)  # unreachable for a validated schema


class SchemaForm(forms.Form):
    """A form built from a schema; ``helper`` makes ``{% crispy form %}`` render it without a <form> tag."""

    schema_fields: list[dict] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        for spec in self.schema_fields:
            if spec["type"] == "multiple_choice" and spec["name"] in cleaned:
                rules = spec.get("validation") or {}
                count = len(cleaned[spec["name"]] or [])
                if count and rules.get("min_items") and count < rules["min_items"]:
                    self.add_error(spec["name"], _("Chọn ít nhất %(min)s mục.") % {"min": rules["min_items"]})
                if rules.get("max_items") and count > rules["max_items"]:
                    self.add_error(spec["name"], _("Chọn tối đa %(max)s mục.") % {"max": rules["max_items"]})
        return cleaned


def build_form(schema: dict, *, data=None, initial=None, prefix=None) -> SchemaForm:
    """Build a Django form for a (validated) schema."""
    fields = (schema or {}).get("fields", [])
    key = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return _form_class(key)(data=data, initial=initial, prefix=prefix)


@functools.lru_cache(maxsize=512)
def _form_class(fields_json: str) -> type[SchemaForm]:
    """The form class of a list of field specs (as canonical JSON), made once per process: a
    form instance copies its class's fields, so the class itself is never changed."""
    fields = json.loads(fields_json)
    return type(
        "SchemaForm",
        (SchemaForm,),
        {"schema_fields": fields, **{spec["name"]: _make_field(spec) for spec in fields}},
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


_SCALAR = (str, int, float, bool)


def _validate_answers(fields: list[dict], data: Any) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"__all__": [_("Dữ liệu biểu mẫu phải là một đối tượng JSON.")]})
    errors: dict[str, list] = {}
    by_name = {spec["name"]: spec for spec in fields}
    for key in data:
        if key not in by_name:
            errors.setdefault(str(key)[:60], []).append(_("Trường này không có trong biểu mẫu."))
    for name, value in data.items():
        spec = by_name.get(name)
        if spec is None or value is None:
            continue
        if spec["type"] == "multiple_choice":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif spec["type"] == "group":
            ok = isinstance(value, list)
        else:
            ok = isinstance(value, _SCALAR)
        if not ok:
            errors.setdefault(name, []).append(_("Kiểu dữ liệu không hợp lệ."))
    clean_data = {k: v for k, v in data.items() if k in by_name and k not in errors}
    form = build_form({"fields": fields}, data=clean_data)
    if not form.is_valid():
        for name, messages in form.errors.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return {name: _json_value(form.cleaned_data.get(name)) for name in by_name}


def form_schema_validate_data(schema: dict, data: Any) -> dict:
    """Check answers (a dict, e.g. from the API) against a schema; return them cleaned and JSON-safe.

    Raises ValidationError with a dict ``{field name: [messages]}``.
    """
    return _validate_answers((schema or {}).get("fields", []), data)


def form_schema_prefill(schema: dict, *, profile=None, organisation=None, user=None) -> dict:
    """Initial values for the fields whose prefill source the caller holds."""
    sources = {"profile": profile, "organisation": organisation, "user": user}
    initial = {}
    for spec in (schema or {}).get("fields", []):
        source = spec.get("prefill")
        if not source:
            continue
        owner, attribute = source.split(".", 1)
        value = getattr(sources.get(owner), attribute, None)
        if value not in (None, ""):
            initial[spec["name"]] = value.isoformat() if isinstance(value, dt.date) else value
    return initial
