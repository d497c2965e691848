"""Issue 17, webhooks: a target is resolved once, checked, and delivery connects to the address
that was checked (no DNS-rebinding window), with the URL's host name kept for the Host header,
TLS SNI and certificate checks; every range that reaches loopback or private space through an
embedded IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64) is refused like the usual ones."""

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from dossiers.core.events import event_append
from portal.models import WebhookDelivery
from portal.services import webhooks
from portal.services.webhooks import webhook_address_allowed, webhook_subscription_create, webhook_url_check
from tests.api.conftest import client_for
from tests.api.receiver import start_receiver
from tests.dossiers.factories import DossierFactory
from tests.factories import UserFactory

HOST = "hooks.example.test"
PUBLIC = "8.8.8.8"

REFUSED = [
    # the finding: 6to4 of 127.0.0.1
    "2002:7f00:1::",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:c0a8:101::",  # 6to4 of 192.168.1.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:0:7f00:1:0:f227:80ff:fffe",  # Teredo with server 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::6440:1",  # NAT64 of 100.64.0.1 (CGNAT)
    "64:ff9b:1::808:808",  # local-use NAT64: reaches what the operator chose
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "203.113.131.1",
    "2606:4700:4700::1111",
    "2002:808:808::",  # 6to4 of a public address
    "64:ff9b::808:808",  # NAT64 of a public address
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_reach_private_space_are_refused(address):
    assert webhook_address_allowed(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert webhook_address_allowed(ipaddress.ip_address(address)) is True


@pytest.fixture
def production_rules(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


@pytest.mark.parametrize("host", ["[2002:7f00:1::]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2001:0:7f00:1::1]"])
def test_urls_on_embedded_loopback_are_refused(production_rules, host):
    with pytest.raises(ValidationError) as info:
        webhook_url_check(f"https://{host}/hook")
    assert "nội bộ" in info.value.message_dict["url"][0]


@pytest.mark.django_db
def test_subscription_api_refuses_a_6to4_loopback_target(production_rules):
    client = client_for(UserFactory(), scopes=["webhooks"])
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "https://[2002:7f00:1::]/hook", "events": ["dossier.status_changed"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "private" in response.json()["error"]["fields"]["url"][0]
    assert not client.get("/api/v1/webhooks/").json()["results"]


class _Resolver:
    """getaddrinfo for HOST answering from a list in turn (DNS rebinding); the real one for the rest."""

    def __init__(self, monkeypatch, *answers: str) -> None:
        self.answers, self.asked = list(answers), 0
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host != HOST:
            return self._real(host, port, *args, **kwargs)
        self.asked += 1
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]


@pytest.fixture
def receiver():
    state, server = start_receiver()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def connections(monkeypatch):
    """Where urllib3 opens its connections; one to PUBLIC is refused here, never sent out."""
    opened, real = [], urllib3.util.connection.create_connection

    def _create_connection(address, *args, **kwargs):
        opened.append(address)
        if address[0] == PUBLIC:
            raise ConnectionRefusedError("the test does not leave the machine")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", _create_connection)
    return opened


def _deliver(user, django_capture_on_commit_callbacks) -> WebhookDelivery:
    dossier = DossierFactory(applicant=user, received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    return WebhookDelivery.objects.get(subscription__owner=user)


@pytest.mark.django_db
def test_a_rebinding_answer_cannot_redirect_the_delivery(
    settings, monkeypatch, receiver, connections, django_capture_on_commit_callbacks
):
    # The check sees a public address; a second question would get the receiver on loopback.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    user = UserFactory()
    port = receiver.url.split(":")[2].split("/")[0]
    _Resolver(monkeypatch, PUBLIC)
    webhook_subscription_create(user=user, url=f"http://{HOST}:{port}/hook", events=["dossier.status_changed"])
    resolver = _Resolver(monkeypatch, PUBLIC, "127.0.0.1")
    delivery = _deliver(user, django_capture_on_commit_callbacks)
    assert resolver.asked == 1  # resolved once, for the check
    assert connections == [(PUBLIC, int(port))]  # and connected where it was checked
    assert receiver.requests == []
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and "ConnectionError" in attempt.error


@pytest.mark.django_db
def test_delivery_goes_to_the_resolved_address_with_the_host_name_kept(
    monkeypatch, receiver, connections, django_capture_on_commit_callbacks
):
    # Test settings allow private addresses (the receiver is on loopback): resolved once all the same.
    user = UserFactory()
    port = int(receiver.url.split(":")[2].split("/")[0])
    webhook_subscription_create(user=user, url=f"http://127.0.0.1:{port}/hook", events=["dossier.status_changed"])
    user.webhook_subscriptions.update(url=f"http://{HOST}:{port}/hook?via=dns")
    resolver = _Resolver(monkeypatch, "127.0.0.1", "127.0.0.2")
    delivery = _deliver(user, django_capture_on_commit_callbacks)
    assert delivery.state == "succeeded", delivery.attempt_log.get().error
    assert resolver.asked == 1 and connections == [("127.0.0.1", port)]
    (received,) = receiver.requests
    assert received.headers["host"] == f"{HOST}:{port}"
    assert received.path == "/hook?via=dns"
    assert json.loads(received.body)["type"] == "dossier.status_changed"


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A CA (its PEM file) and a server certificate for ``name`` signed by it (cert+key file)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test webhook CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, server_file = tmp_path / "ca.pem", tmp_path / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_file.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(ca_file), str(server_file)


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS receiver on 127.0.0.1: ``start(certificate name)`` → (port, CA file, seen SNI names)."""
    servers = []

    def _start(name: str):
        ca_file, server_file = _certificate(tmp_path, name)
        names: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_file)
        context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1], ca_file, names

    yield _start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
@pytest.mark.parametrize(("certificate_name", "delivered"), [(HOST, True), ("other.example.test", False)])
def test_tls_keeps_the_host_name_for_sni_and_the_certificate(
    settings, monkeypatch, tls_receiver, django_capture_on_commit_callbacks, certificate_name, delivered
):
    port, ca_file, sni_names = tls_receiver(certificate_name)
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_CA_BUNDLE = ca_file
    user = UserFactory()
    _Resolver(monkeypatch, "127.0.0.1")
    webhook_subscription_create(user=user, url=f"https://{HOST}:{port}/hook", events=["dossier.status_changed"])
    delivery = _deliver(user, django_capture_on_commit_callbacks)
    attempt = delivery.attempt_log.get()
    assert sni_names and set(sni_names) == {HOST}  # SNI names the host, not the address dialled
    if delivered:
        assert delivery.state == "succeeded" and attempt.status_code == 204
    else:  # a certificate for another name is refused, though the address is the one resolved
        assert attempt.status_code is None and "SSLError" in attempt.error


def test_the_resolver_is_asked_once_per_check(monkeypatch):
    calls = []
    monkeypatch.setattr(webhooks, "host_addresses", lambda host, port: calls.append((host, port)) or ["8.8.4.4"])
    target = webhooks.webhook_target("https://hooks.example.test/hook?a=1")
    assert calls == [("hooks.example.test", 443)]
    assert target.connect_url() == "https://8.8.4.4/hook?a=1"
