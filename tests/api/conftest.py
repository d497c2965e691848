import contextlib

import pytest
from django.db import connection, transaction
from psycopg import pq
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


@pytest.fixture
def keep_the_test_connection(db):
    """As Django's test client does: a request must not close the test's connection (and
    with it the transaction that holds the test data)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@contextlib.contextmanager
def a_request_of_its_own():
    """One in-process call as production runs it, in autocommit: a statement PostgreSQL refuses
    (answered as a 400, e.g. a DataError) must not leave the test's transaction aborted for the
    next generated case, which would then fail with "current transaction is aborted" (a 500 no
    real client can cause). A savepoint per call, rolled back only when the call left it in error."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        if connection.connection.info.transaction_status == pq.TransactionStatus.INERROR:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
