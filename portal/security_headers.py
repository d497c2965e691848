"""Browser-facing security headers: the Content-Security-Policy and the Permissions-Policy.

The CSP itself is django-csp's (settings ``CONTENT_SECURITY_POLICY`` or, with
``CSP_REPORT_ONLY``, ``CONTENT_SECURITY_POLICY_REPORT_ONLY``); ``PortalCSPMiddleware`` only adds
the origins a form may be posted to on its way out (the payment gateway, VNeID), read from the
settings of the moment. ``PermissionsPolicyMiddleware`` switches off every powerful browser
feature; the pages where a document may be photographed get the camera for our own origin
through ``@camera_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

# Every feature a page of the portal never needs, off for every origin.
PERMISSIONS_POLICY_OFF = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "display-capture",
    "encrypted-media",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY_HEADER = "Permissions-Policy"


def permissions_policy(*, camera: bool) -> str:
    features = [f"{name}=()" for name in PERMISSIONS_POLICY_OFF]
    features.append("camera=(self)" if camera else "camera=()")
    return ", ".join(sorted(features))


def camera_allowed(view: Callable) -> Callable:
    """Pages where an applicant or an officer may photograph a document: camera for our origin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._permissions_policy_camera = True  # noqa: SLF001 - read by the middleware below
        return response

    return wrapper


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if PERMISSIONS_POLICY_HEADER not in response:
            camera = getattr(response, "_permissions_policy_camera", False)
            response[PERMISSIONS_POLICY_HEADER] = permissions_policy(camera=camera)
        return response


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def form_action_origins() -> list[str]:
    """Outside origins a form of ours posts to, through a redirect (Chromium checks those)."""
    urls = (getattr(settings, "PAYMENT_GATEWAY_URL", ""), getattr(settings, "VNEID_OIDC_ISSUER", ""))
    return sorted({origin for origin in map(_origin, urls) if origin})


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = form_action_origins()
        if origins:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), *origins]
            parts.update = update
        return parts


class PrivatePagesNotStoredMiddleware:
    """A page answered to a signed-in person is not kept by the browser (``Cache-Control:
    private, no-store``): on a shared phone, once the person has signed out, the back button
    must not bring their dossiers back from the browser's cache (nor its back-forward cache). A
    response that says how it may be cached (a file download, the service worker) keeps that."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
