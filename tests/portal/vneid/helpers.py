"""The certified OpenID Provider (panva's oidc-provider, Node.js) the VNeID tests sign in through,
behind a tampering proxy of ours.

`start_provider` installs the npm package when it is missing (``npm ci`` in ``op/``), starts a
proxy on 127.0.0.1 (free port) and then ``op/provider.mjs`` with the proxy's address as its
issuer, so every request (the browser's, the portal's) goes through the proxy. The proxy passes
everything on unchanged unless a test sets ``tamper``: a function given the ID token's header and
claims from the token endpoint's answer, which returns them changed, re-signed with the
provider's own key (or another, or none), so that exactly one check of the portal's is hit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

OP_DIR = Path(__file__).resolve().parent / "op"
CLIENT_ID = "portal-test"
CLIENT_SECRET = "test-only-vneid-client-secret-0123456789"  # noqa: S105
KID = "test-key-1"
HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding")
USERS = {
    "001203004567": {
        "password": "vneid-pass-1",
        "sub": "vneid-sub-an",
        "loa": "LoA2",
        "claims": {
            "citizen_id": "001203004567",
            "name": "Nguyễn Văn An",
            "birthdate": "2003-05-12",
            "gender": "male",
            "address": {"formatted": "12 Lê Lợi, phường Bến Thành, Thành phố Hồ Chí Minh"},
        },
    },
    "079190001234": {
        "password": "vneid-pass-2",
        "sub": "vneid-sub-binh",
        "loa": "LoA1",
        "claims": {
            "citizen_id": "079190001234",
            "name": "Trần Thị Bình",
            "birthdate": "1990-02-03",
            "gender": "female",
            "email": "binh.vneid@example.test",
            "email_verified": True,
        },
    },
}


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_jwk(key, kid: str) -> dict:
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}


def public_jwk(key, kid: str) -> dict:
    return {
        **jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
    }


@dataclass
class Provider:
    issuer: str
    key: object
    process: subprocess.Popen
    proxy: ThreadingHTTPServer
    tamper: object = None
    extra_keys: list = field(default_factory=list)
    seen_token_requests: list = field(default_factory=list)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.proxy.shutdown()
        self.proxy.server_close()


def _resign(provider: Provider, id_token: str) -> str:
    header = jwt.get_unverified_header(id_token)
    claims = jwt.decode(id_token, options={"verify_signature": False})
    header, claims, key = provider.tamper(header, claims, provider.key)
    if header.get("alg") == "none":
        return (
            jwt.api_jws.base64url_encode(json.dumps(header).encode()).decode()
            + "."
            + (jwt.api_jws.base64url_encode(json.dumps(claims).encode()).decode() + ".")
        )
    return jwt.encode(claims, key, algorithm=header["alg"], headers={"kid": header.get("kid")})


def _proxy_handler(provider_ref: dict):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _forward(self):
            provider: Provider = provider_ref["provider"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            # The Host header goes on unchanged: the provider builds its endpoints' addresses from it.
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
            upstream = provider_ref["upstream"] + self.path
            answer = requests.request(
                self.command, upstream, data=body, headers=headers, allow_redirects=False, timeout=30
            )
            content = answer.content
            if self.path.startswith("/jwks") and provider.extra_keys:
                keys = answer.json()
                content = json.dumps({"keys": [*keys["keys"], *provider.extra_keys]}).encode()
            if self.path.startswith("/token"):
                provider.seen_token_requests.append(body)
                if provider.tamper is not None and answer.ok:
                    data = answer.json()
                    data["id_token"] = _resign(provider, data["id_token"])
                    content = json.dumps(data).encode()
            self.send_response(answer.status_code)
            for name, value in answer.raw.headers.items():
                # One request per connection here (HTTP/1.0): no keep-alive promised to the client.
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _forward

    return Handler


def npm_install() -> None:
    if not (OP_DIR / "node_modules" / "oidc-provider").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("The VNeID tests need Node.js 20 and npm (apt-get install nodejs npm).")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=OP_DIR, check=True)  # noqa: S603


def start_provider(*, redirect_uris: list[str], post_logout_redirect_uris: list[str]) -> Provider:
    npm_install()
    key = rsa_key()
    provider_ref: dict = {}
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(provider_ref))
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{proxy.server_address[1]}"
    config = {
        "issuer": issuer,
        "client": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": post_logout_redirect_uris,
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        },
        "users": USERS,
        "jwks": {"keys": [private_jwk(key, KID)]},
    }
    process = subprocess.Popen(  # noqa: S603
        [shutil.which("node") or "node", str(OP_DIR / "provider.mjs")],
        cwd=OP_DIR,
        env={**os.environ, "VNEID_OP_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        proxy.shutdown()
        raise RuntimeError(f"oidc-provider did not start: {process.stderr.read()}")
    provider_ref["upstream"] = f"http://127.0.0.1:{json.loads(line)['port']}"
    provider = Provider(issuer=issuer, key=key, process=process, proxy=proxy)
    provider_ref["provider"] = provider
    return provider


def provider_sign_in(authorize_url: str, *, login: str, password: str, until: str) -> str:
    """Drive the provider's pages as a browser would (no JavaScript is needed): follow its
    redirects, post the sign-in form, and return the first address that starts with ``until``
    (the portal's callback)."""
    session = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(12):
        answer = session.request(method, url, data=data, allow_redirects=False, timeout=30)
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            method, data = "GET", None
            if url.startswith(until):
                return url
            continue
        action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
        if answer.status_code != 200 or action is None:
            raise AssertionError(f"unexpected answer from the provider ({answer.status_code}): {answer.text[:300]}")
        url, method, data = urljoin(url, action.group(1)), "POST", {"login": login, "password": password}
    raise AssertionError("the provider never sent the browser back")
