"""Clients for the dossier tests: a logged-in page client and an API client with a bearer token."""

from contextlib import contextmanager

from django.db import connection
from rest_framework.test import APIClient

from portal.services import api_token_create


def page_client(client, user):
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    _token, raw = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def officer_api(user) -> APIClient:
    """An API client with an officer's bearer token of every scope (the officer scope included),
    minted as the operator's command does (the web form's second factor is tests/security's)."""
    _token, raw = api_token_create(
        user=user, name="test", scopes=["dossiers:read", "dossiers:write", "officer"], by_operator=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@contextmanager
def triggers_off():
    """Inside: the database's triggers do not fire, as for a superuser who sets
    ``session_replication_role`` — what someone tampering with the events table would do
    (the append-only trigger refuses UPDATE and DELETE otherwise). Until the block ends."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")


def api_as(user) -> APIClient:
    """The API client a user of that kind holds: an officer's token with the officer scope (its
    rows and reads need it), a citizen's with the read and write scopes."""
    return officer_api(user) if user.officer_memberships.filter(is_active=True).exists() else api_for(user)
