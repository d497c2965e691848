import pytest

from tests.portal.vneid.helpers import CLIENT_ID, CLIENT_SECRET, start_provider

CALLBACK = "http://testserver/accounts/oidc/vneid/login/callback/"


@pytest.fixture(scope="session")
def vneid_op():
    provider = start_provider(redirect_uris=[CALLBACK], post_logout_redirect_uris=["http://testserver/"])
    yield provider
    provider.close()


@pytest.fixture
def vneid(vneid_op, settings):
    """VNeID configured against the test provider; nothing tampered with."""
    settings.VNEID_OIDC_ISSUER = vneid_op.issuer
    settings.VNEID_CLIENT_ID = CLIENT_ID
    settings.VNEID_CLIENT_SECRET = CLIENT_SECRET
    settings.VNEID_ACR_VALUES = "LoA1"
    vneid_op.tamper = None
    yield vneid_op
    vneid_op.tamper = None
