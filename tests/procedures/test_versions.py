"""Procedure versions: draft → published with an effective date; the version in force."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from procedures import selectors
from procedures.constants import VersionStatus
from procedures.services import procedure_version_create_draft, procedure_version_publish
from tests.procedures.factories import (
    DocumentRequirementFactory,
    FeeFactory,
    ProcedureFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


def test_version_in_force_is_the_latest_published_not_after_the_day():
    procedure = ProcedureFactory()
    v1 = ProcedureVersionFactory(procedure=procedure, number=1, effective_date=dt.date(2025, 1, 1))
    v2 = ProcedureVersionFactory(procedure=procedure, number=2, effective_date=dt.date(2026, 1, 1))
    ProcedureVersionFactory(procedure=procedure, number=3, effective_date=dt.date(2026, 6, 1))  # future
    ProcedureVersionFactory(procedure=procedure, number=4, draft=True)
    assert selectors.procedure_version_in_force(procedure, on=TODAY) == v2
    assert selectors.procedure_version_in_force(procedure, on=dt.date(2025, 6, 1)) == v1
    assert selectors.procedure_version_in_force(procedure, on=dt.date(2024, 1, 1)) is None
    assert list(selectors.procedure_versions_in_force(on=TODAY)) == [v2]
    assert selectors.procedure_in_force_by_code(procedure.code, on=dt.date(2026, 7, 1)).number == 3


def test_inactive_procedures_are_not_in_force():
    version = ProcedureVersionFactory(procedure__is_active=False)
    assert selectors.procedure_in_force_by_code(version.procedure.code) is None


def test_draft_copies_the_latest_version_with_fees_and_documents():
    version = ProcedureVersionFactory(number=1)
    FeeFactory(version=version, amount=100_000)
    DocumentRequirementFactory(version=version, name="Tờ khai")
    draft = procedure_version_create_draft(procedure=version.procedure)
    assert draft.status == VersionStatus.DRAFT and draft.number == 2
    assert draft.name == version.name and draft.form_schema == version.form_schema
    assert list(draft.fees.values_list("amount", flat=True)) == [100_000]
    copied = draft.documents.get()
    assert copied.name == "Tờ khai" and copied.template.name == version.documents.get().template.name
    # asking again returns the same open draft
    assert procedure_version_create_draft(procedure=version.procedure) == draft


def test_publish_draft_then_it_is_in_force_and_cannot_be_published_again():
    old = ProcedureVersionFactory(number=1, name="Tên cũ")
    draft = procedure_version_create_draft(procedure=old.procedure)
    draft.name = "Tên mới"
    draft.save(update_fields=["name"])
    today = timezone.localdate()
    published = procedure_version_publish(version=draft, effective_date=today)
    assert published.status == VersionStatus.PUBLISHED and published.published_at is not None
    assert selectors.procedure_version_in_force(old.procedure) == published
    old.procedure.refresh_from_db()
    assert old.procedure.name == "Tên mới"
    with pytest.raises(ValidationError):
        procedure_version_publish(version=published, effective_date=today)


def test_publish_refuses_past_dates_and_broken_documents():
    draft = ProcedureVersionFactory(draft=True)
    with pytest.raises(ValidationError) as exc:
        procedure_version_publish(version=draft, effective_date=timezone.localdate() - dt.timedelta(days=1))
    assert "effective_date" in exc.value.message_dict
    draft.form_schema = {"fields": [{"name": "x", "type": "teleport", "label": "X"}]}
    draft.workflow_steps = [{"key": "a", "name": "A", "role": "king", "duration": 1, "unit": "hours"}]
    draft.save()
    with pytest.raises(ValidationError) as exc:
        procedure_version_publish(version=draft, effective_date=timezone.localdate())
    assert {"form_schema", "workflow_steps"} <= set(exc.value.message_dict)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_database_refuses_a_published_version_without_date_and_negative_fees():
    with pytest.raises(IntegrityError):
        ProcedureVersionFactory(effective_date=None)


def test_database_refuses_negative_fee():
    with pytest.raises(IntegrityError):
        FeeFactory(amount=-1)
