import pytest
from django.core.cache import cache

from tests.dossiers.stats.factories import hand_built_set
from tests.factories import (
    AgencyFactory,
    OfficerMembershipFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _vietnamese_first():
    """Each test starts in Vietnamese: a request with Accept-Language: en activates English
    in the thread, and Django does not switch back on its own."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and cached values live in Redis: each test starts from an empty db."""
    cache.clear()
    yield


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def officer_factory(db):
    def make(role, agency=None, **kwargs):
        membership = OfficerMembershipFactory(role=role, agency=agency or AgencyFactory(), **kwargs)
        return membership.user

    return make


@pytest.fixture
def hand_built():
    """The statistics' hand-built set: ``(agency, version)``, figures in tests.dossiers.stats.factories.EXPECTED.

    Here because the statistics tests and the dashboard's browser test (tests/e2e) both use it."""
    return hand_built_set()
