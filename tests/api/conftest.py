import pytest
from rest_framework.test import APIClient

from portal.services import api_token_create
from tests.api.receiver import start_receiver
from tests.factories import UserFactory


def client_for(user, scopes=None, organisation=None) -> APIClient:
    _token, raw = api_token_create(user=user, name="test", scopes=scopes, organisation=organisation)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def citizen(db):
    return UserFactory(full_name="Nguyễn Văn Tích Hợp")


@pytest.fixture
def receiver():
    state, server = start_receiver()
    yield state
    server.shutdown()
    server.server_close()
