"""The form-schema validator and the answers' validator fuzzed with arbitrary JSON: a schema is
normalised or refused with messages (ValidationError), answers are cleaned or refused per
field — never another exception, and a normalised schema validates to itself."""

import os

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures.form_schema import FIELD_KEYS, FIELD_TYPES, form_schema_validate, form_schema_validate_data

LONG = os.environ.get("FUZZ_LONG") == "1"
PROFILE = settings(
    max_examples=3000 if LONG else 60,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=list(HealthCheck),
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=40,
)
# Fields that look nearly right, so the validator's deeper branches are reached too.
near_field = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["ho_ten", "ngay_sinh", "so_tien", "", "Hoa", "a" * 60]) | st.text(max_size=8),
        "type": st.sampled_from([*FIELD_TYPES, "unknown"]) | json_values,
        "label": st.text(max_size=20) | json_values,
    },
    optional={key: json_values for key in sorted(FIELD_KEYS - {"name", "type", "label"})}
    | {
        "choices": st.lists(st.fixed_dictionaries({"value": scalars, "label": scalars}), max_size=4) | json_values,
        "validation": st.dictionaries(
            st.sampled_from(["min", "max", "min_length", "max_length", "regex", "min_items", "max_items"]),
            scalars,
            max_size=4,
        )
        | json_values,
    },
)
schemas = (
    json_values
    | st.fixed_dictionaries({"fields": st.lists(near_field | json_values, max_size=5)})
    | st.lists(near_field, max_size=5)
)


def _messages_are_text(error: ValidationError) -> None:
    messages = error.messages
    assert messages and all(isinstance(m, str) and m for m in messages)


@PROFILE
@given(schemas)
def test_any_json_schema_is_normalised_or_refused_with_messages(schema):
    try:
        clean = form_schema_validate(schema)
    except ValidationError as error:
        _messages_are_text(error)
        return
    assert form_schema_validate(clean) == clean


@settings(PROFILE, max_examples=1000 if LONG else 30)
@given(st.lists(near_field, max_size=4), json_values)
def test_any_answers_are_cleaned_or_refused_per_field(fields, answers):
    try:
        schema = form_schema_validate({"fields": fields})
    except ValidationError:
        return
    try:
        clean = form_schema_validate_data(schema, answers)
    except ValidationError as error:
        _messages_are_text(error)
        return
    assert set(clean) <= {f["name"] for f in schema["fields"]}
