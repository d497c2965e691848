"""The form schema: one validator for schemas, one form for the UI and the API."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.template import Context, Template

from procedures.form_schema import FIELD_TYPES, build_form, form_schema_prefill, form_schema_validate
from procedures.selectors import form_schema_validate_data

CHOICES = [{"value": "a", "label": "Lựa chọn A"}, {"value": "b", "label": "Lựa chọn B"}]
ALL_TYPES = {
    "fields": [
        {
            "name": "t",
            "type": "text",
            "label": "Văn bản",
            "required": True,
            "validation": {"min_length": 2, "max_length": 10},
        },
        {"name": "lt", "type": "long_text", "label": "Văn bản dài"},
        {"name": "n", "type": "number", "label": "Số", "validation": {"min": 1, "max": 10}},
        {"name": "m", "type": "money", "label": "Tiền", "validation": {"max": 1_000_000}},
        {"name": "d", "type": "date", "label": "Ngày", "validation": {"max": "today"}},
        {"name": "c", "type": "choice", "label": "Chọn", "choices": CHOICES},
        {
            "name": "mc",
            "type": "multiple_choice",
            "label": "Chọn nhiều",
            "choices": ["x", "y", "z"],
            "validation": {"max_items": 2},
        },
        {"name": "yn", "type": "yes_no", "label": "Có/không", "required": True},
        {"name": "e", "type": "email", "label": "Email"},
        {"name": "p", "type": "phone", "label": "Điện thoại", "prefill": "profile.phone"},
        {"name": "cid", "type": "citizen_id", "label": "CCCD", "prefill": "profile.citizen_id"},
        {"name": "tax", "type": "tax_code", "label": "MST", "prefill": "organisation.tax_code"},
        {"name": "addr", "type": "address", "label": "Địa chỉ"},
        {
            "name": "code",
            "type": "text",
            "label": "Mã",
            "validation": {"regex": "^[A-Z]{3}$", "regex_message": "Ba chữ in hoa."},
        },
        {
            "name": "people",
            "type": "group",
            "label": "Thành viên",
            "validation": {"min_items": 1, "max_items": 3},
            "fields": [
                {"name": "name", "type": "text", "label": "Họ tên", "required": True},
                {"name": "born", "type": "date", "label": "Ngày sinh"},
            ],
        },
    ]
}
VALID = {
    "t": "abc",
    "lt": "dài",
    "n": 2.5,
    "m": 150000,
    "d": "2020-02-29",
    "c": "a",
    "mc": ["x", "z"],
    "yn": False,
    "e": "a@example.vn",
    "p": "+84 912 345 678",
    "cid": "001090012345",
    "tax": "0100109106",
    "addr": "Số 1",
    "code": "ABC",
    "people": [{"name": "Nguyễn Văn A", "born": "2001-01-01"}],
}


@pytest.fixture
def schema():
    return form_schema_validate(ALL_TYPES)


def test_every_type_is_covered_by_the_fixture():
    assert {f["type"] for f in ALL_TYPES["fields"]} == set(FIELD_TYPES)


def test_valid_answers_come_back_clean_and_json_safe(schema):
    cleaned = form_schema_validate_data(schema, VALID)
    assert cleaned["n"] == 2.5
    assert cleaned["d"] == "2020-02-29"
    assert cleaned["yn"] is False
    assert cleaned["p"] == "0912345678"
    assert cleaned["mc"] == ["x", "z"]
    assert cleaned["people"] == [{"name": "Nguyễn Văn A", "born": "2001-01-01"}]
    assert cleaned["lt"] == "dài"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("t", "a", "ít nhất 2"),
        ("t", "x" * 11, "tối đa 10"),
        ("n", 11, "nhỏ hơn hoặc bằng với 10"),
        ("n", "mười", "Nhập một số"),
        ("m", 1.5, "số tổng thể"),
        ("m", -5, "lớn hơn hoặc bằng với 0"),
        ("d", "2999-01-01", "không được sau"),
        ("d", "31/02/2020", "ngày hợp lệ"),
        ("c", "zzz", "không phải là một trong"),
        ("mc", ["x", "y", "z"], "tối đa 2"),
        ("yn", "có lẽ", "Có hoặc Không"),
        ("e", "not-an-email", "email"),
        ("p", "12345", "Số điện thoại"),
        ("cid", "12345", "12 chữ số"),
        ("tax", "0100109107", "chữ số kiểm tra"),
        ("code", "abc", "Ba chữ in hoa."),
        ("people", [], "ít nhất 1 dòng"),
        ("people", [{"name": "A"}] * 4, "Tối đa 3"),
        ("people", [{"born": "2001-01-01"}], "Dòng 1, Họ tên"),
        ("people", "not a list", "Kiểu dữ liệu"),
        ("t", ["list"], "Kiểu dữ liệu"),
    ],
)
def test_bad_answers_are_refused_with_a_vietnamese_message(schema, field, value, message):
    with pytest.raises(ValidationError) as exc:
        form_schema_validate_data(schema, {**VALID, field: value})
    errors = exc.value.message_dict
    assert field in errors
    assert any(message.lower() in str(m).lower() for m in errors[field]), errors[field]


def test_required_fields_and_unknown_keys(schema):
    with pytest.raises(ValidationError) as exc:
        form_schema_validate_data(schema, {"hack": "<script>", "m": 5})
    errors = exc.value.message_dict
    assert "hack" in errors
    assert {"t", "yn", "people"} <= set(errors)


def test_non_dict_answers_are_refused(schema):
    with pytest.raises(ValidationError):
        form_schema_validate_data(schema, ["not", "a", "dict"])


def test_ui_post_and_api_dict_validate_the_same_way(schema):
    post = QueryDict(mutable=True)
    for key, value in VALID.items():
        if key == "people":
            post["people-0-name"] = "Nguyễn Văn A"
            post["people-0-born"] = "2001-01-01"
            post["people-1-name"] = ""  # an empty extra row is ignored
        elif key == "mc":
            post.setlist("mc", value)
        elif key == "yn":
            post["yn"] = "false"
        else:
            post[key] = str(value)
    form = build_form(schema, data=post)
    assert form.is_valid(), form.errors
    api = form_schema_validate_data(schema, VALID)
    assert form.cleaned_data["people"] == api["people"]
    assert form.cleaned_data["yn"] is False and api["yn"] is False
    post["cid"] = "999"
    assert not build_form(schema, data=post).is_valid()
    with pytest.raises(ValidationError):
        form_schema_validate_data(schema, {**VALID, "cid": "999"})


def test_form_renders_with_crispy(schema):
    form = build_form(schema, initial={"t": "xin chào", "people": [{"name": "An"}]})
    html = Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))
    assert 'name="t"' in html and "xin chào" in html
    assert 'name="people-0-name"' in html and 'value="An"' in html
    assert 'name="people-2-name"' in html  # empty rows for new items
    assert "<form" not in html  # the page provides the <form> tag


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ({"fields": [{"name": "x", "type": "colour", "label": "Màu"}]}, "fields[0](x).type"),
        ({"fields": [{"name": "X-1", "type": "text", "label": "A"}]}, "fields[0].name"),
        ({"fields": [{"name": "a", "type": "text", "label": ""}]}, "fields[0](a).label"),
        ({"fields": [{"name": "a", "type": "choice", "label": "A"}]}, "fields[0](a).choices"),
        ({"fields": [{"name": "a", "type": "text", "label": "A", "validation": {"regex": "("}}]}, "validation.regex"),
        ({"fields": [{"name": "a", "type": "text", "label": "A", "validation": {"min": 1}}]}, "validation.min"),
        ({"fields": [{"name": "a", "type": "money", "label": "A", "validation": {"max": 1.5}}]}, "validation.max"),
        ({"fields": [{"name": "a", "type": "text", "label": "A", "prefill": "profile.password"}]}, "prefill"),
        ({"fields": [{"name": "a", "type": "text", "label": "A", "colour": "red"}]}, "fields[0](a).colour"),
        (
            {"fields": [{"name": "a", "type": "text", "label": "A"}, {"name": "a", "type": "date", "label": "B"}]},
            "fields[1].name",
        ),
        ({"fields": [{"name": "g", "type": "group", "label": "G", "fields": []}]}, "fields[0](g).fields"),
        (
            {
                "fields": [
                    {
                        "name": "g",
                        "type": "group",
                        "label": "G",
                        "fields": [{"name": "h", "type": "group", "label": "H", "fields": []}],
                    }
                ]
            },
            "fields[0](g).fields[0](h).type",
        ),
        ({"fields": "nope"}, ""),
        (
            {"fields": [{"name": "n", "type": "number", "label": "N", "validation": {"integer": "yes"}}]},
            "fields[0](n).validation.integer",
        ),
        (
            {"fields": [{"name": "n", "type": "number", "label": "N", "validation": {"integer": True, "min": 0.5}}]},
            "fields[0](n).validation",
        ),
        (
            {"fields": [{"name": "t", "type": "text", "label": "T", "validation": {"integer": True}}]},
            "fields[0](t).validation.integer",
        ),
    ],
)
def test_bad_schemas_are_refused_naming_the_path(schema, path):
    with pytest.raises(ValidationError) as exc:
        form_schema_validate(schema)
    assert any(path in message for message in exc.value.messages), exc.value.messages


def test_plain_string_choices_are_normalised():
    clean = form_schema_validate({"fields": [{"name": "c", "type": "choice", "label": "C", "choices": ["10", "11"]}]})
    assert clean["fields"][0]["choices"] == [{"value": "10", "label": "10"}, {"value": "11", "label": "11"}]


def test_prefill_from_profile_and_organisation(schema):
    class Profile:
        phone = "0912345678"
        citizen_id = "001090012345"

    class Organisation:
        tax_code = "0100109106"

    initial = form_schema_prefill(schema, profile=Profile(), organisation=Organisation())
    assert initial == {"p": "0912345678", "cid": "001090012345", "tax": "0100109106"}
    assert form_schema_prefill(schema) == {}


def test_date_prefill_is_iso():
    schema = form_schema_validate(
        {"fields": [{"name": "b", "type": "date", "label": "B", "prefill": "profile.date_of_birth"}]}
    )

    class Profile:
        date_of_birth = dt.date(1990, 5, 17)

    assert form_schema_prefill(schema, profile=Profile()) == {"b": "1990-05-17"}


def test_an_integer_number_field_takes_whole_counts_with_a_numeric_keypad():
    schema = form_schema_validate(
        {"fields": [{"name": "copies", "type": "number", "label": "Số bản", "validation": {"integer": True, "min": 1}}]}
    )
    form = build_form(schema, data={"copies": "2"})
    assert form.is_valid() and form.cleaned_data["copies"] == 2
    assert 'inputmode="numeric"' in str(form["copies"])
    for bad in ("1.5", "2,5", "hai"):
        form = build_form(schema, data={"copies": bad})
        assert not form.is_valid() and "Nhập một số nguyên" in form.errors["copies"][0]


def test_identifiers_get_a_numeric_keypad_and_dates_a_specific_message():
    schema = form_schema_validate(
        {
            "fields": [
                {"name": "cccd", "type": "citizen_id", "label": "Số định danh cá nhân", "required": True},
                {"name": "phone", "type": "phone", "label": "Số điện thoại", "required": True},
                {"name": "sex", "type": "choice", "label": "Giới tính", "required": True, "choices": ["Nam", "Nữ"]},
            ]
        }
    )
    form = build_form(schema, data={})
    assert 'inputmode="numeric"' in str(form["cccd"]) and 'type="tel"' in str(form["phone"])
    assert not form.is_valid()
    assert form.errors["cccd"] == ["Nhập số định danh cá nhân."]
    assert form.errors["sex"] == ["Chọn giới tính."]


# --- autofill (issue 19): the applicant's own fields get their HTML token, no one else's -------


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"name": "a", "type": "text", "label": "A", "autocomplete": "password"}, "fields[0](a).autocomplete"),
        ({"name": "a", "type": "text", "label": "A", "autocomplete": ["name"]}, "fields[0](a).autocomplete"),
        ({"name": "a", "type": "text", "label": "A", "autocomplete": "email"}, "fields[0](a).autocomplete"),
        ({"name": "a", "type": "phone", "label": "A", "autocomplete": "name"}, "fields[0](a).autocomplete"),
        ({"name": "a", "type": "date", "label": "A", "autocomplete": "off"}, "fields[0](a).autocomplete"),
    ],
)
def test_an_unknown_or_unfitting_autocomplete_token_is_refused(spec, path):
    with pytest.raises(ValidationError) as exc:
        form_schema_validate({"fields": [spec]})
    assert any(path in message for message in exc.value.messages), exc.value.messages


def _autocomplete(form, name):
    html = str(form[name])
    marker = 'autocomplete="'
    return html[html.index(marker) + len(marker) :].split('"', 1)[0] if marker in html else None


def test_the_applicants_own_fields_get_their_token_from_the_prefill_or_the_schema():
    schema = form_schema_validate(
        {
            "fields": [
                {"name": "me", "type": "text", "label": "Họ tên", "prefill": "profile.full_name"},
                {"name": "mail", "type": "email", "label": "Email", "prefill": "profile.email"},
                {"name": "tel", "type": "phone", "label": "Điện thoại", "prefill": "profile.phone"},
                {"name": "home", "type": "address", "label": "Nơi cư trú", "prefill": "profile.current_address"},
                {"name": "province", "type": "text", "label": "Tỉnh", "autocomplete": "address-level1"},
                {"name": "commune", "type": "text", "label": "Xã, phường", "autocomplete": "address-level2"},
                {"name": "org", "type": "text", "label": "Tên tổ chức", "prefill": "organisation.name"},
                {"name": "org_phone", "type": "phone", "label": "Điện thoại", "prefill": "organisation.phone"},
                {"name": "org_mail", "type": "email", "label": "Email", "prefill": "organisation.email"},
                {"name": "mother_name", "type": "text", "label": "Họ tên mẹ", "autocomplete": "off"},
                {"name": "mother_phone", "type": "phone", "label": "Điện thoại của mẹ"},
                {"name": "cccd", "type": "citizen_id", "label": "Số định danh"},
                {
                    "name": "g",
                    "type": "group",
                    "label": "Thành viên",
                    "fields": [{"name": "name", "type": "text", "label": "Họ tên", "autocomplete": "off"}],
                },
            ]
        }
    )
    assert schema["fields"][4]["autocomplete"] == "address-level1"
    form = build_form(schema)
    assert {name: _autocomplete(form, name) for name in form.fields if name != "g"} == {
        "me": "name",
        "mail": "email",
        "tel": "tel",
        "home": "street-address",
        "province": "address-level1",
        "commune": "address-level2",
        "org": "organization",
        # An organisation's phone or e-mail, another person's phone: no personal token.
        "org_phone": None,
        "org_mail": None,
        "mother_name": "off",
        "mother_phone": None,
        "cccd": "off",
    }
    assert 'type="tel"' in str(form["mother_phone"])  # still the phone keypad
    html = Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))
    rows = re.findall(r'<input[^>]*name="g-\d+-name"[^>]*>', html)
    assert len(rows) == 2 and all('autocomplete="off"' in row for row in rows)  # each group row's name


def test_the_demo_catalogue_gives_no_personal_token_to_someone_elses_fields():
    catalogue = json.loads((Path(settings.BASE_DIR) / "procedures/fixtures/demo_catalogue.json").read_text())
    birth = next(p for p in catalogue["procedures"] if p["code"] == "1.001193")
    form = build_form(form_schema_validate(birth["form"]))
    tokens = {name: _autocomplete(form, name) for name in form.fields}
    assert tokens["requester_name"] == "name" and tokens["requester_email"] == "email"
    assert tokens["requester_phone"] == "tel" and tokens["requester_address"] == "street-address"
    for other in ("child_name", "mother_name", "father_name"):
        assert tokens[other] == "off", other
    assert tokens["birth_place"] is None
    # Every procedure's schema still validates with its tokens.
    for procedure in catalogue["procedures"]:
        if procedure.get("form"):
            form_schema_validate(procedure["form"])
