"""VNeID sign-in (Decree 69/2024/NĐ-CP, from 1 July 2024): the OpenID Connect client.

It is django-allauth's OpenID Connect provider (`socialaccount`), which does the authorization
code flow with ``state`` and PKCE (S256), with what the portal adds to it here:

- a ``nonce`` in every authorization request, kept in allauth's state and checked against the
  ID token (`vneid_login_check`, called from the social account adapter);
- ``acr_values`` from ``VNEID_ACR_VALUES`` (or LoA2 when a procedure asks for it);
- the ID token always verified (allauth skips the signature when the token came straight from
  the token endpoint): its algorithm never ``none`` nor a shared-secret one, the key taken from
  the provider's JWKS by ``kid`` (the key set is cached and fetched again once when an unknown
  ``kid`` shows up, so the provider may rotate its keys), the issuer equal to
  ``VNEID_OIDC_ISSUER``, the audience our client id, the expiry;
- the userinfo answer must speak of the same ``sub`` as the ID token.

Every refusal is a `VNeIDError` with a code; `error_message` turns it into the sentence the
person reads. The app (client id, secret, issuer) is built from the settings of the moment
(`vneid_app`): with no issuer there is no app, hence no button.
"""

from __future__ import annotations

import re
import secrets

import jwt
import requests
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

PROVIDER_ID = "vneid"
LOA_LEVELS = ("LoA1", "LoA2")
SESSION_LOA = "vneid_loa"
# Asymmetric signatures only: "none" proves nothing, and an HMAC would be keyed by our own
# client secret, which the provider is not the only one to hold.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
CLOCK_LEEWAY_SECONDS = 60
DISCOVERY_CACHE_SECONDS = 3600
JWKS_CACHE_SECONDS = 3600
CITIZEN_ID_RE = re.compile(r"^\d{12}$")


class VNeIDError(OAuth2Error):
    """A refused VNeID answer; ``code`` names the check that failed."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def error_message(code: str) -> str:
    messages = {
        "state": _("Phiên đăng nhập VNeID không hợp lệ hoặc đã hết hạn (tham số state không khớp). Hãy đăng nhập lại."),
        "code": _("Mã xác thực VNeID không dùng được (đã dùng hoặc đã hết hạn). Hãy đăng nhập lại."),
        "nonce": _("Thẻ định danh (ID token) VNeID không thuộc lần đăng nhập này (nonce không khớp)."),
        "issuer": _("Thẻ định danh (ID token) không do máy chủ VNeID đã cấu hình phát hành."),
        "audience": _("Thẻ định danh (ID token) VNeID không được cấp cho Cổng dịch vụ công này."),
        "expired": _("Thẻ định danh (ID token) VNeID đã hết hạn. Hãy đăng nhập lại."),
        "alg": _("Thẻ định danh (ID token) VNeID không có chữ ký số hợp lệ (thuật toán không được chấp nhận)."),
        "kid": _("Thẻ định danh (ID token) VNeID được ký bằng khóa không có trong danh sách khóa của VNeID."),
        "signature": _("Chữ ký của thẻ định danh (ID token) VNeID không đúng."),
        "claims": _("VNeID không trả về số định danh cá nhân hợp lệ (12 chữ số)."),
        "unreachable": _("Không kết nối được với VNeID. Hãy thử lại sau ít phút hoặc đăng nhập bằng email."),
        "cancelled": _("Bạn đã hủy đăng nhập bằng VNeID."),
    }
    return messages.get(code, _("Đăng nhập bằng VNeID không thành công. Hãy thử lại."))


def vneid_enabled() -> bool:
    return bool(settings.VNEID_OIDC_ISSUER)


def vneid_app() -> SocialApp | None:
    """The VNeID client as allauth sees it, from the settings (never from the database)."""
    if not vneid_enabled():
        return None
    return SocialApp(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name="VNeID",
        client_id=settings.VNEID_CLIENT_ID,
        secret=settings.VNEID_CLIENT_SECRET,
        settings={
            "server_url": settings.VNEID_OIDC_ISSUER,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
            "sandbox": settings.VNEID_SANDBOX,
        },
    )


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=settings.VNEID_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise VNeIDError("unreachable") from error
    if not isinstance(data, dict):
        raise VNeIDError("unreachable")
    return data


def provider_configuration() -> dict:
    """The issuer's discovery document (``/.well-known/openid-configuration``), cached; its
    ``issuer`` must be the one configured, exactly (OpenID Connect Discovery 1.0, section 4.3)."""
    issuer = settings.VNEID_OIDC_ISSUER.rstrip("/")
    key = f"vneid:discovery:{issuer}"
    config = cache.get(key)
    if config is None:
        config = _get_json(f"{issuer}/.well-known/openid-configuration")
        if str(config.get("issuer", "")).rstrip("/") != issuer:
            raise VNeIDError("issuer")
        cache.set(key, config, DISCOVERY_CACHE_SECONDS)
    return config


def _jwks(uri: str, *, refresh: bool) -> dict:
    key = f"vneid:jwks:{uri}"
    keys = None if refresh else cache.get(key)
    if keys is None:
        keys = _get_json(uri)
        cache.set(key, keys, JWKS_CACHE_SECONDS)
    return keys


def signing_key(*, jwks_uri: str, kid: str | None, alg: str):
    """The provider's public key named ``kid``; the key set is fetched again once when the
    cached one does not have it (the provider has rotated its keys)."""
    for refresh in (False, True):
        for jwk in _jwks(jwks_uri, refresh=refresh).get("keys", []):
            if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("use", "sig") == "sig":
                if jwk.get("alg") and jwk["alg"] != alg:
                    raise VNeIDError("alg")
                try:
                    return jwt.PyJWK(jwk, algorithm=alg).key
                except jwt.PyJWTError as error:
                    raise VNeIDError("kid") from error
    raise VNeIDError("kid")


def id_token_verify(*, token: str, client_id: str, jwks_uri: str) -> dict:
    """The ID token's claims once its signature, issuer, audience and expiry are checked
    (OpenID Connect Core 1.0, section 3.1.3.7); the nonce is checked against the state later."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise VNeIDError("signature") from error
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise VNeIDError("alg")
    key = signing_key(jwks_uri=jwks_uri, kid=header.get("kid"), alg=alg)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=client_id,
            issuer=settings.VNEID_OIDC_ISSUER.rstrip("/"),
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise VNeIDError("expired") from error
    except jwt.InvalidAudienceError as error:
        raise VNeIDError("audience") from error
    except jwt.InvalidIssuerError as error:
        raise VNeIDError("issuer") from error
    except jwt.PyJWTError as error:
        raise VNeIDError("signature") from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise VNeIDError("audience")
    return claims


class VNeIDOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter with the discovery cached and the ID token always verified."""

    @property
    def openid_config(self):
        return provider_configuration()

    @property
    def basic_auth(self):
        return False  # client_secret_post, which every provider supports

    def complete_login(self, request, app, token, **kwargs):
        id_token = (kwargs.get("response") or {}).get("id_token")
        if not id_token:
            raise VNeIDError("signature")
        claims = id_token_verify(token=id_token, client_id=app.client_id, jwks_uri=self.openid_config["jwks_uri"])
        try:
            userinfo = self._fetch_user_info(token.token)
        except (requests.RequestException, ValueError) as error:
            raise VNeIDError("unreachable") from error
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise VNeIDError("claims")
        return self.get_provider().sociallogin_from_response(request, {"id_token": claims, "userinfo": userinfo})


class VNeIDProvider(OpenIDConnectProvider):
    """The OpenID Connect provider with a nonce and the level of assurance in every request."""

    oauth2_adapter_class = VNeIDOAuth2Adapter
    # allauth mounts the provider's URLs from this package (login, callback; ours in
    # portal.urls take precedence at the same paths).
    package = "allauth.socialaccount.providers.openid_connect"

    def get_default_scope(self):
        return ["openid", "profile", "email"]

    def get_redirect_from_request_kwargs(self, request):
        kwargs = super().get_redirect_from_request_kwargs(request)
        asked = request.POST.get("acr") or request.GET.get("acr")
        if asked in LOA_LEVELS:
            kwargs["acr"] = asked
        return kwargs

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        acr = kwargs.pop("acr", None) or settings.VNEID_ACR_VALUES
        nonce = secrets.token_urlsafe(32)
        auth_params = dict(kwargs.pop("auth_params", None) or self.get_auth_params())
        auth_params.update(nonce=nonce, acr_values=acr)
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, acr_requested=acr, **kwargs
        )


def vneid_login_check(sociallogin) -> dict:
    """Check what only the state can tell (the nonce) and the claims the portal relies on;
    return the identity: ``{"sub", "citizen_id", "acr", "claims"}``. Raises `VNeIDError`."""
    data = sociallogin.account.extra_data or {}
    id_token = data.get("id_token") or {}
    nonce = (sociallogin.state or {}).get("nonce")
    if not nonce or not secrets.compare_digest(str(id_token.get("nonce", "")), nonce):
        raise VNeIDError("nonce")
    claims = {**(data.get("userinfo") or {}), **id_token}
    names = settings.VNEID_CLAIM_NAMES
    citizen_id = str(claims.get(names["citizen_id"], ""))
    if not CITIZEN_ID_RE.match(citizen_id):
        raise VNeIDError("claims")
    acr = claims.get("acr") if claims.get("acr") in LOA_LEVELS else "LoA1"
    return {"sub": claims["sub"], "citizen_id": citizen_id, "acr": acr, "claims": claims}


def end_session_url(*, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to end the VNeID session too (OpenID Connect RP-Initiated
    Logout 1.0), or None when the provider offers no ``end_session_endpoint`` or is away."""
    try:
        endpoint = provider_configuration().get("end_session_endpoint")
    except VNeIDError:
        return None
    if not endpoint:
        return None
    request = requests.Request(
        "GET",
        endpoint,
        params={"client_id": settings.VNEID_CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri},
    )
    return request.prepare().url
