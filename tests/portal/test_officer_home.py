"""The officer's home page links to the work its roles allow."""

import pytest

from portal.constants import OfficerRole
from tests.factories import OfficerMembershipFactory, with_totp

pytestmark = pytest.mark.django_db

LINKS = {
    "worklists": "/officer/worklists/",
    "reception": "/officer/reception/",
    "intake": "/officer/intake/",
    "register": "/officer/register/",
    "stats": "/officer/stats/",
}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (OfficerRole.RECEPTION, {"worklists", "reception", "intake", "register"}),
        (OfficerRole.SPECIALIST, {"worklists", "register"}),
        (OfficerRole.LEADER, {"worklists", "register", "stats"}),
    ],
)
def test_home_links_follow_the_roles(client, role, expected):
    officer = with_totp(OfficerMembershipFactory(role=role).user)
    client.force_login(officer)
    html = client.get("/officer/").content.decode()
    assert {name for name, href in LINKS.items() if f'href="{href}"' in html} == expected


def test_a_citizen_has_no_officer_home(client, django_user_model):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get("/officer/").status_code == 403
