import pytest

from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import UserFactory


@pytest.fixture
def online_version(db):
    return OnlineVersionFactory()


@pytest.fixture
def citizen(db):
    return UserFactory()
