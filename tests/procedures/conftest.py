import pytest

from procedures.constants import AgencyLevel
from procedures.demo import DEMO_CATALOGUE
from procedures.services import catalogue_import_json
from tests.factories import AgencyFactory

DEMO_AGENCIES = [
    ("000.00.01.H99", "Trung tâm Phục vụ hành chính công Tỉnh Demo", AgencyLevel.DEPARTMENT),
    ("000.00.12.H99", "Sở Tư pháp Tỉnh Demo", AgencyLevel.DEPARTMENT),
    ("000.00.15.H99", "Sở Xây dựng Tỉnh Demo", AgencyLevel.DEPARTMENT),
    ("000.01.21.H99", "Ủy ban nhân dân Phường Trung Tâm", AgencyLevel.COMMUNE),
    ("000.02.21.H99", "Ủy ban nhân dân Xã Bình An", AgencyLevel.COMMUNE),
]


@pytest.fixture
def demo_agencies(db):
    return {code: AgencyFactory(code=code, name=name, level=level) for code, name, level in DEMO_AGENCIES}


@pytest.fixture
def demo_catalogue(demo_agencies):
    """The real demo catalogue of seed_demo, loaded through the import service."""
    return catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
