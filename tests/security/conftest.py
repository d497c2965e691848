"""The world of the security tests: one dossier of an agency with a document and a slip, the
agency's officers, and the ways an officer comes in (sessions in every state of the second
factor, bearer tokens with and without the ``officer`` scope)."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers.constants import SlipKind
from dossiers.models import Slip
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierDocumentFactory, make_pdf
from tests.factories import OfficerMembershipFactory, second_factor_verified, with_totp

# How an officer's session stands with the second factor: TOTP set up and passed at sign-in
# just now (verified); no authenticator app at all (no_totp, the finding); TOTP set up but this
# session never passed it (password_only); passed longer ago than OFFICER_MFA_MAX_AGE_HOURS (stale).
NO_TOTP, PASSWORD_ONLY, STALE = "no_totp", "password_only", "stale"

OFFICER_SCOPES = ["dossiers:read", "dossiers:write", "officer"]
PLAIN_SCOPES = ["dossiers:read", "dossiers:write"]


class World:
    def __init__(self):
        document = DossierDocumentFactory()
        self.dossier = document.dossier
        self.document = document
        self.slip = Slip.objects.create(
            dossier=self.dossier,
            kind=SlipKind.ACKNOWLEDGEMENT,
            file=ContentFile(make_pdf(), name=f"xac-nhan-{self.dossier.code}.pdf"),
            rendered_at=timezone.now(),
        )
        self.agency = self.dossier.receiving_agency

    def officer(self, role=OfficerRole.RECEPTION):
        return OfficerMembershipFactory(agency=self.agency, role=role).user


@pytest.fixture
def world(db):
    return World()


def _session_for(user, state: str, *, client_class=Client, **kwargs):
    """A client signed in as ``user`` whose session stands in ``state`` with the second factor."""
    client = client_class(**kwargs)
    if state == NO_TOTP:
        client.force_login(user)
        return client
    client.force_login(with_totp(user))  # counts as verified just now (tests/conftest.py)
    if state == PASSWORD_ONLY:
        second_factor_verified(client, user, hours_ago=None)
    elif state == STALE:
        second_factor_verified(client, user, hours_ago=13)
    return client


def _token_for(user, *, officer: bool) -> tuple[str, APIClient]:
    """A bearer token of ``user`` (the operator's command mints the officer's) and its client."""
    scopes = OFFICER_SCOPES if officer else PLAIN_SCOPES
    _token, raw = api_token_create(user=user, name="security", scopes=scopes, by_operator=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return raw, client


def _csrf_token(client) -> str:
    """The CSRF token of a session, as a page's form would carry it."""
    client.get("/account/tokens/")
    return client.cookies["csrftoken"].value


@pytest.fixture
def session_for():
    """``session_for(user, state)``: a client signed in as ``user``, its session in ``state``
    (verified, no_totp, password_only, stale)."""
    return _session_for


@pytest.fixture
def token_for():
    """``token_for(user, officer=bool)``: ``(raw token, API client)``."""
    return _token_for


@pytest.fixture
def csrf_token():
    return _csrf_token
