"""An in-process revocation service for the test PKI: an OCSP responder and a CRL distribution
point on 127.0.0.1, in a daemon thread of the test process (no network beyond the loopback).

The certificates of the test PKI name it in their AIA (OCSP) and CRL distribution point
extensions, so pyHanko's fetchers and Poppler's pdfsig (NSS) ask it as they would ask a real CA.
Tests steer it through ``state``: which serials are revoked, which CRL each CA publishes,
whether it answers at all; ``requests`` records what was asked.
"""

import base64
import dataclasses
import datetime as dt
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp


@dataclasses.dataclass
class ResponderState:
    up: bool = True
    revoked: set[int] = dataclasses.field(default_factory=set)
    # CRL bytes (DER) published under /crl/<name>.crl
    crls: dict[str, bytes] = dataclasses.field(default_factory=dict)
    requests: list[str] = dataclasses.field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: "LocalRevocationServer"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        return

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = urllib.parse.urlparse(self.path).path
        self.server.state.requests.append(f"GET {path}")
        if not self.server.state.up:
            return self._send(503)
        if path.startswith("/crl/") and path.endswith(".crl"):
            data = self.server.state.crls.get(path[len("/crl/") : -len(".crl")])
            return self._send(200, data, "application/pkix-crl") if data else self._send(404)
        if path.startswith("/ocsp/"):
            # RFC 6960 A.1 GET form: the base64 (then URL-encoded) DER request after the path.
            raw = base64.b64decode(urllib.parse.unquote(path[len("/ocsp/") :]))
            return self._ocsp(raw)
        return self._send(404)

    def do_POST(self):  # noqa: N802 - http.server's naming
        path = urllib.parse.urlparse(self.path).path
        self.server.state.requests.append(f"POST {path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.server.state.up:
            return self._send(503)
        if path.rstrip("/") == "/ocsp":
            return self._ocsp(body)
        return self._send(404)

    def _ocsp(self, raw: bytes):
        try:
            request = ocsp.load_der_ocsp_request(raw)
        except ValueError:
            return self._send(200, _error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), "application/ocsp-response")
        known = self.server.certificates.get(request.serial_number)
        if known is None:
            return self._send(200, _error(ocsp.OCSPResponseStatus.UNAUTHORIZED), "application/ocsp-response")
        cert, issuer = known
        now = dt.datetime.now(dt.UTC)
        revoked = request.serial_number in self.server.state.revoked
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=issuer.cert,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(minutes=5),
            next_update=now + dt.timedelta(hours=4),
            revocation_time=now - dt.timedelta(hours=2) if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        # Signed by the issuing CA itself (RFC 6960 4.2.2.2), so no delegated responder is needed.
        response = builder.sign(issuer.key, hashes.SHA256())
        return self._send(200, response.public_bytes(serialization.Encoding.DER), "application/ocsp-response")


def _error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


class LocalRevocationServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = ResponderState()
        # serial -> (certificate, issuer); filled in once the PKI is built
        self.certificates: dict[int, tuple] = {}
        self._thread = threading.Thread(target=self.serve_forever, name="test-ocsp", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalRevocationServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
