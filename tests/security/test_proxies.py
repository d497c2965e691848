"""Issue 17, proxy trust by address: ``X-Forwarded-For`` counts only when the connecting peer is
one of ``TRUSTED_PROXIES``.

The finding: with ``TRUSTED_PROXY_COUNT=1`` a spoofed, rotating ``X-Forwarded-For`` bypassed the
per-address login and tracking limits (12 failed logins without a block, 40 tracking tries
without a 429).
"""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from portal.client_address import client_ip
from portal.models import ApiAuditRecord
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _address(settings, trusted: list[str], *, peer: str, forwarded: str | None = None) -> str:
    settings.TRUSTED_PROXIES = trusted
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **headers))


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        # Nobody trusted (the default): the header is the client's word, ignored.
        ([], "203.0.113.5", "1.2.3.4", "203.0.113.5"),
        # A peer outside the proxies sends it: ignored as well.
        (["10.0.0.0/8"], "203.0.113.5", "1.2.3.4", "203.0.113.5"),
        # Through the proxy: the entry the proxy added, whatever the client put before it.
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 198.51.100.9", "198.51.100.9"),
        # Through two proxies of the list: past both.
        (["10.0.0.0/8", "172.16.0.0/12"], "10.0.0.2", "1.2.3.4, 198.51.100.9, 172.16.0.3", "198.51.100.9"),
        # A broken entry stops the walk at the last trusted hop.
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.9, not-an-ip", "10.0.0.2"),
        # The proxy sent no header: the proxy is the client as far as anyone can tell.
        (["10.0.0.0/8"], "10.0.0.2", None, "10.0.0.2"),
        # IPv6 proxies, and an IPv4 peer seen through an IPv6 socket.
        (["2001:db8::/32"], "2001:db8::1", "2001:db8:ffff::1, 2400:cb00::7", "2400:cb00::7"),
        (["10.0.0.0/8"], "::ffff:10.0.0.2", "198.51.100.9", "198.51.100.9"),
    ],
)
def test_the_client_address(settings, trusted, peer, forwarded, expected):
    assert _address(settings, trusted, peer=peer, forwarded=forwarded) == expected


def test_a_spoofed_rotating_header_does_not_escape_the_login_limit(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    users = [UserFactory() for _ in range(12)]
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    answers = []
    for n, user in enumerate(users):
        response = client.post(
            LOGIN,
            {"login": user.email, "password": "sai", "csrfmiddlewaretoken": token},
            REMOTE_ADDR="203.0.113.66",  # connects directly, not through the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
        answers.append(" ".join(response.context["form"].non_field_errors()))
    assert any("vui lòng thử lại sau" in answer for answer in answers)
    # Behind the real proxy, two clients are two addresses: one's failures do not hold the other.
    right = client.post(
        LOGIN,
        {"login": users[0].email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.30",
    )
    assert right.status_code == 302


def test_a_spoofed_rotating_header_does_not_escape_the_tracking_limit(settings, client):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    dossier = DossierFactory()
    statuses = [
        client.get(
            "/track/",
            {"code": dossier.code},
            REMOTE_ADDR="203.0.113.67",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        ).status_code
        for n in range(settings.TRACKING_RATE_LIMIT + 10)
    ]
    assert statuses[0] == 200
    assert 429 in statuses


def test_the_api_audit_records_the_connecting_address_when_the_header_is_forged(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    _token, raw = api_token_create(user=UserFactory(), name="x", scopes=["dossiers:read", "webhooks"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api.post(
        "/api/v1/webhooks/",
        {"url": "https://example.invalid/hook", "events": ["dossier.status_changed"]},
        format="json",
        REMOTE_ADDR="203.0.113.68",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    record = ApiAuditRecord.objects.get()
    assert record.ip_address == "203.0.113.68"
