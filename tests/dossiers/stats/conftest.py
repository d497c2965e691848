import pytest

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
