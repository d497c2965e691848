import pytest
from django.apps import apps

from dossiers import quality_seed
from tests.factories import AgencyFactory


@pytest.fixture
def tree(hand_built):
    """The hand-built agency under a province, with a sibling agency that has no dossier."""
    agency, version = hand_built
    province = AgencyFactory(name="UBND tỉnh Thử")
    sibling = AgencyFactory(name="Sở Anh em", parent=province)
    agency.parent = province
    agency.save(update_fields=["parent"])
    return province, agency, sibling


@pytest.fixture(autouse=True)
def _index_rule_set(db):
    """The seeded rule set and targets of migration 0014, which a transactional test's flush
    (browser tests) removes."""
    quality_seed.seed_defaults(apps)
