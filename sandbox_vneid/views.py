"""A sandbox VNeID: a small OpenID Provider that the portal serves itself in development.

Installed only by the dev and test settings, so that ``make run`` (which has no Node.js) offers
VNeID sign-in through the very client code (`portal.vneid`) that the tests run against the
certified provider: discovery, the authorization endpoint (a page where the tester picks one of
the demo identities and a level of assurance), the token endpoint (client secret, single-use
code, PKCE S256, redirect URI), userinfo, the key set (RS256) and the end-session endpoint. Every
page it shows says it is a sandbox. Codes, access tokens and its signing key live in the cache
(shared by every process), never in process memory.
"""

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

CODE_SECONDS = 120
TOKEN_SECONDS = 600
ID_TOKEN_SECONDS = 300
KID = "sandbox-vneid-1"
# The demo identities (số định danh chosen to agree with the birth year and sex they encode).
IDENTITIES = {
    "sandbox-an": {
        "citizen_id": "001203004567",
        "name": "Nguyễn Văn An",
        "birthdate": "2003-05-12",
        "gender": "male",
        "email": "an.vneid@example.vn",
        "email_verified": True,
        "address": {"formatted": "12 Lê Lợi, phường Bến Thành, Thành phố Hồ Chí Minh"},
        "max_loa": "LoA2",
    },
    "sandbox-binh": {
        "citizen_id": "079190001234",
        "name": "Trần Thị Bình",
        "birthdate": "1990-02-03",
        "gender": "female",
        "email": "binh.vneid@example.vn",
        "email_verified": True,
        "max_loa": "LoA1",
    },
}


def _issuer(request) -> str:
    return request.build_absolute_uri(reverse("sandbox_vneid:discovery")).removesuffix(
        "/.well-known/openid-configuration"
    )


def _private_key():
    pem = cache.get("sandbox-vneid:key")
    if pem is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        cache.add("sandbox-vneid:key", pem, None)
        pem = cache.get("sandbox-vneid:key")
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _client_ok(client_id: str, secret: str | None = None) -> bool:
    if not secrets.compare_digest(client_id or "", settings.VNEID_CLIENT_ID):
        return False
    return secret is None or secrets.compare_digest(secret or "", settings.VNEID_CLIENT_SECRET)


def _portal_url(request, url: str) -> bool:
    """Only the portal's own addresses are redirect targets (the site's, or the one serving us)."""
    return url.startswith(settings.SITE_URL.rstrip("/") + "/") or url.startswith(request.build_absolute_uri("/"))


def _error(error: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error}, status=status)


@require_GET
def discovery(request):
    issuer = _issuer(request)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "end_session_endpoint": f"{issuer}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "acr_values_supported": ["LoA1", "LoA2"],
            "scopes_supported": ["openid", "profile", "email"],
        }
    )


@require_GET
def jwks(request):
    public = jwt.algorithms.RSAAlgorithm.to_jwk(_private_key().public_key(), as_dict=True)
    return JsonResponse({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]})


@require_http_methods(["GET", "POST"])
def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    redirect_uri = params.get("redirect_uri", "")
    if (
        not _client_ok(params.get("client_id", ""))
        or params.get("response_type") != "code"
        or "openid" not in params.get("scope", "").split()
        or params.get("code_challenge_method") != "S256"
        or not params.get("code_challenge")
        or not _portal_url(request, redirect_uri)
    ):
        return render(request, "sandbox_vneid/error.html", status=400)
    if request.method == "GET":
        return render(
            request,
            "sandbox_vneid/authorize.html",
            {"identities": IDENTITIES, "params": params.items(), "acr": params.get("acr_values", "LoA1")},
        )
    sub = request.POST.get("identity")
    if sub not in IDENTITIES:
        return render(request, "sandbox_vneid/error.html", status=400)
    asked = params.get("acr_values", "LoA1").split()
    acr = "LoA2" if "LoA2" in asked and IDENTITIES[sub]["max_loa"] == "LoA2" else "LoA1"
    code = secrets.token_urlsafe(32)
    cache.set(
        f"sandbox-vneid:code:{code}",
        {
            "sub": sub,
            "acr": acr,
            "nonce": params.get("nonce"),
            "redirect_uri": redirect_uri,
            "code_challenge": params["code_challenge"],
            "auth_time": int(time.time()),
        },
        CODE_SECONDS,
    )
    query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode(query)}")


@csrf_exempt
@require_POST
def token(request):
    data = request.POST
    if data.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type")
    if not _client_ok(data.get("client_id", ""), data.get("client_secret", "")):
        return _error("invalid_client", 401)
    key = f"sandbox-vneid:code:{data.get('code', '')}"
    grant = cache.get(key)
    cache.delete(key)  # single use, whatever follows
    if grant is None or grant["redirect_uri"] != data.get("redirect_uri"):
        return _error("invalid_grant")
    verifier = data.get("code_verifier", "")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if not secrets.compare_digest(challenge, grant["code_challenge"]):
        return _error("invalid_grant")
    access_token = secrets.token_urlsafe(32)
    cache.set(f"sandbox-vneid:token:{access_token}", grant["sub"], TOKEN_SECONDS)
    now = int(time.time())
    claims = {
        "iss": _issuer(request),
        "sub": grant["sub"],
        "aud": settings.VNEID_CLIENT_ID,
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": grant["auth_time"],
        "acr": grant["acr"],
        **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
    }
    id_token = jwt.encode(claims, _private_key(), algorithm="RS256", headers={"kid": KID})
    return JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS, "id_token": id_token}
    )


@require_GET
def userinfo(request):
    scheme, _space, access_token = request.headers.get("Authorization", "").partition(" ")
    sub = cache.get(f"sandbox-vneid:token:{access_token}") if scheme.lower() == "bearer" else None
    if sub is None:
        return _error("invalid_token", 401)
    claims = {k: v for k, v in IDENTITIES[sub].items() if k != "max_loa"}
    return JsonResponse({"sub": sub, **claims})


@require_GET
def end_session(request):
    target = request.GET.get("post_logout_redirect_uri", "")
    if _client_ok(request.GET.get("client_id", "")) and _portal_url(request, target):
        return HttpResponseRedirect(target)
    return HttpResponseBadRequest()


app_name = "sandbox_vneid"
urlpatterns = [
    path(".well-known/openid-configuration", discovery, name="discovery"),
    path("authorize", authorize, name="authorize"),
    path("token", token, name="token"),
    path("userinfo", userinfo, name="userinfo"),
    path("jwks", jwks, name="jwks"),
    path("session/end", end_session, name="end_session"),
]
