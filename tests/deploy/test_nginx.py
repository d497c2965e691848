"""deploy/nginx: the config compose.yaml's nginx renders, checked by Debian's nginx and then run.

`start.sh --render-only` fills the template as the container would (the upstream is a small echo
server here instead of `web:8000`); `nginx -t` checks it, then nginx serves it on loopback ports
with a self-signed certificate, and the echo server shows what reaches the portal.
"""

import datetime
import http.client
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every user's PATH
SMALL_LIMIT = 4096  # DOSSIER_MAX_TOTAL_SIZE of the running config: nginx allows it + 1 MiB


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _render(folder: Path, *, upstream: str, http_port: int, https_port: int, limit: int) -> Path:
    """deploy/nginx/start.sh --render-only, and the `http {}` around it that the image provides."""
    cert, key = _self_signed(folder)
    portal_conf = folder / "portal.conf"
    env = {
        "PATH": os.environ["PATH"],
        "NGINX_PORTAL_CONF": str(portal_conf),
        "PORTAL_UPSTREAM": upstream,
        "NGINX_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
        "NGINX_TLS_CERT": str(cert),
        "NGINX_TLS_KEY": str(key),
        "NGINX_CACHE_DIR": str(folder / "cache"),
        "DOSSIER_MAX_TOTAL_SIZE": str(limit),
    }
    subprocess.run(["sh", str(ROOT / "deploy/nginx/start.sh"), "--render-only"], env=env, check=True, timeout=30)
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\nworker_processes 1;\n"
        + "events { worker_connections 64; }\n"
        + f"http {{\n  access_log off;\n{temp}\n  include {portal_conf};\n}}\n"
    )
    return main


def _nginx_t(main: Path) -> subprocess.CompletedProcess:
    folder = main.parent
    return subprocess.run(
        [NGINX, "-t", "-p", f"{folder}/", "-c", str(main), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_rendered_config_passes_nginx_t_with_the_portals_upload_limit(tmp_path):
    main = _render(
        tmp_path,
        upstream="127.0.0.1:9",
        http_port=_free_port(),
        https_port=_free_port(),
        limit=settings.DOSSIER_MAX_TOTAL_SIZE,
    )
    result = _nginx_t(main)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    portal_conf = (tmp_path / "portal.conf").read_text()
    assert f"client_max_body_size {settings.DOSSIER_MAX_TOTAL_SIZE + 1048576};" in portal_conf
    directives = [line for line in portal_conf.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in directives if "${" in line]  # every name of the template was filled


def test_a_broken_config_fails_nginx_t(tmp_path):
    # The check above means something: nginx -t does refuse a config it cannot load.
    main = _render(tmp_path, upstream="127.0.0.1:9", http_port=_free_port(), https_port=_free_port(), limit=1)
    (tmp_path / "fullchain.pem").write_text("not a certificate")
    assert _nginx_t(main).returncode != 0


class _Echo(BaseHTTPRequestHandler):
    """The portal's stand-in: answers with the request it received, as JSON."""

    static_hits = 0

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {"Content-Type": "application/json"}
        if self.path.startswith("/static/"):
            type(self).static_hits += 1
            headers["Cache-Control"] = "max-age=31536000, public, immutable"
        payload = json.dumps({"path": self.path, "headers": dict(self.headers), "body_length": len(body)}).encode()
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nginx")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = _free_port(), _free_port()
    main = _render(
        folder,
        upstream=f"127.0.0.1:{upstream.server_port}",
        http_port=http_port,
        https_port=https_port,
        limit=SMALL_LIMIT,
    )
    server = subprocess.Popen(
        [NGINX, "-p", f"{folder}/", "-c", str(main), "-e", str(folder / "error.log"), "-g", "daemon off;"],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, (folder / "error.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        context = ssl.create_default_context(cafile=str(folder / "fullchain.pem"))
        yield {"http": http_port, "https": https_port, "tls": context}
    finally:
        server.send_signal(signal.SIGQUIT)  # graceful stop of our own nginx (master and worker)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
        upstream.shutdown()


def _request(proxy, method, path, *, tls=True, headers=None, body=None):
    if tls:
        conn = http.client.HTTPSConnection("127.0.0.1", proxy["https"], context=proxy["tls"], timeout=10)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", proxy["http"], timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Host": "dichvucong.example.gov.vn", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_nginx_sets_the_forwarded_headers_the_trusted_proxy_rule_reads(proxy):
    status, _headers, body = _request(proxy, "GET", "/track/?code=X", headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 200
    seen = json.loads(body)
    assert seen["path"] == "/track/?code=X"
    # A client's own X-Forwarded-For is replaced by the address nginx saw.
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert seen["headers"]["X-Forwarded-Proto"] == "https"
    assert seen["headers"]["Host"] == "dichvucong.example.gov.vn"
    assert len(seen["headers"]["X-Request-ID"]) == 32


def test_plain_http_moves_to_https_but_health_probes_pass(proxy):
    status, headers, _ = _request(proxy, "GET", "/procedures/?q=khai+sinh", tls=False)
    assert status == 301
    assert headers["Location"] == "https://dichvucong.example.gov.vn/procedures/?q=khai+sinh"
    status, _, body = _request(proxy, "GET", "/healthz", tls=False)
    assert status == 200
    assert json.loads(body)["headers"]["X-Forwarded-Proto"] == "http"
    status, _, body = _request(proxy, "GET", "/nginx-health", tls=False)
    assert (status, body) == (200, b"ok\n")


def test_bodies_up_to_the_portals_limit_pass_and_larger_ones_get_a_vietnamese_413(proxy):
    allowed = SMALL_LIMIT + 1048576
    status, _, body = _request(proxy, "POST", "/dossiers/new/", body=b"x" * allowed)
    assert status == 200
    assert json.loads(body)["body_length"] == allowed
    conn = http.client.HTTPSConnection("127.0.0.1", proxy["https"], context=proxy["tls"], timeout=10)
    try:
        conn.putrequest("POST", "/dossiers/new/")
        conn.putheader("Content-Length", str(allowed + 1))
        conn.endheaders()  # nginx answers from the header alone, before any of the body
        response = conn.getresponse()
        page = response.read().decode()
    finally:
        conn.close()
    assert response.status == 413
    assert "Hồ sơ gửi lên quá lớn" in page
    assert "larger than the portal accepts" in page


def test_static_files_are_cached_by_nginx(proxy):
    before = _Echo.static_hits
    first = _request(proxy, "GET", "/static/css/portal.abc123.css")
    second = _request(proxy, "GET", "/static/css/portal.abc123.css")
    assert first[0] == second[0] == 200
    assert first[1]["X-Cache-Status"] == "MISS"
    assert second[1]["X-Cache-Status"] == "HIT"
    assert second[2] == first[2]
    assert _Echo.static_hits == before + 1  # the second one never reached the portal
    # Pages are never cached: each one reaches the portal.
    assert "X-Cache-Status" not in _request(proxy, "GET", "/track/")[1]
