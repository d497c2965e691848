"""Builders of the browser tests."""

from procedures.constants import AgencyLevel
from procedures.demo import DEMO_CATALOGUE
from procedures.services import catalogue_import_json
from tests.factories import AgencyFactory

AGENCIES = ["000.00.01.H99", "000.00.12.H99", "000.00.15.H99", "000.01.21.H99", "000.02.21.H99"]


def _load_demo_catalogue():
    for code in AGENCIES:
        AgencyFactory(code=code, level=AgencyLevel.COMMUNE if ".21." in code else AgencyLevel.DEPARTMENT)
    catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
