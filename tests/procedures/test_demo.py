"""The demo catalogue loaded by seed_demo: real, complete, and idempotent."""

import pytest
from django.core.management import call_command

from procedures.demo import DEMO_CATALOGUE
from procedures.form_schema import form_schema_validate
from procedures.models import Procedure, ProcedureVersion, Sector
from procedures.services import catalogue_import_json

pytestmark = pytest.mark.django_db


def test_demo_catalogue_is_complete(demo_catalogue):
    assert len(demo_catalogue.created) >= 25
    assert Sector.objects.filter(procedures__isnull=False).distinct().count() >= 6
    birth = Procedure.objects.get(code="1.001193")
    assert birth.name == "Đăng ký khai sinh"
    for version in ProcedureVersion.objects.prefetch_related("documents", "procedure__agencies"):
        assert version.documents.exists(), version
        assert version.procedure.agencies.exists(), version
        assert form_schema_validate(version.form_schema)["fields"], version
        assert version.workflow_steps, version
        assert version.legal_basis, version
    assert ProcedureVersion.objects.filter(documents__template__gt="").distinct().count() >= 25


def test_demo_import_is_idempotent(demo_catalogue):
    again = catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
    assert again.created == [] and again.updated == []
    assert ProcedureVersion.objects.count() == len(demo_catalogue.created)


def test_seed_demo_loads_the_catalogue_twice_without_duplicates():
    call_command("seed_demo")
    count = ProcedureVersion.objects.count()
    assert count >= 25
    call_command("seed_demo")
    assert ProcedureVersion.objects.count() == count
