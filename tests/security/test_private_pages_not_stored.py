"""Pages answered to a signed-in person are not kept by the browser (a shared phone: after sign-out
the back button must not show the previous person's dossiers); public pages and responses that
say how they may be cached keep their own rules."""

import pytest

from tests.dossiers.helpers import api_for
from tests.factories import CitizenProfileFactory

pytestmark = pytest.mark.django_db


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("path", ["/dossiers/", "/account/", "/notifications/", "/", "/track/", "/api/v1/dossiers/"])
def test_every_page_for_a_signed_in_person_is_private_and_not_stored(client, path):
    client.force_login(CitizenProfileFactory().user)
    response = client.get(path)
    assert response.status_code == 200, path
    assert {"private", "no-store"} <= _directives(response), response.get("Cache-Control")


def test_a_bearer_token_answer_is_not_stored_either():
    response = api_for(CitizenProfileFactory().user).get("/api/v1/dossiers/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= _directives(response)


def test_public_pages_for_nobody_signed_in_are_left_as_they_were(client):
    assert "no-store" not in _directives(client.get("/"))
    assert "no-store" not in _directives(client.get("/procedures/"))


def test_a_response_with_its_own_cache_rule_keeps_it(client):
    client.force_login(CitizenProfileFactory().user)
    assert _directives(client.get("/manifest.webmanifest")) == {"max-age=3600", "public"}
    assert "no-store" not in _directives(client.get("/sw.js"))
