"""allauth's adapters. The account adapter: where officers land, the client's address, the
failed logins, the level of assurance kept in the session, sign-out at VNeID too. The social
account adapter: the VNeID app from the settings, the checks of each VNeID sign-in, linking to
an existing account only with proof, the Vietnamese message of every refusal."""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from requests import RequestException

from portal import login_guard, services, vneid
from portal.client_address import client_ip
from portal.language import language_remember
from portal.selectors import citizen_find, user_is_officer

SESSION_LINK = "vneid_link"
SESSION_ENDED_AT_PROVIDER = "vneid_signed_in"


def _email(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


@dataclass(frozen=True)
class PortalSite:
    """What allauth's e-mails call ``current_site``: the portal's name and public address, not
    the host the request happened to reach (which greeted people "từ 127.0.0.1:8811")."""

    name: str
    domain: str


def portal_site() -> PortalSite:
    return PortalSite(name=settings.PORTAL_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": portal_site()})

    def get_login_redirect_url(self, request):
        if user_is_officer(request.user):
            return reverse("portal:officer_home")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request) -> str:
        # allauth's rate limits count by this address: the same reading as everywhere else.
        return client_ip(request) or "unknown"

    def pre_authenticate(self, request, **credentials) -> None:
        wait = login_guard.login_wait(request, email=_email(credentials))
        if wait:
            raise forms.ValidationError(login_guard.login_refusal(wait), code="login_wait")
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request, **credentials) -> None:
        login_guard.login_failed(request, email=_email(credentials))
        super().authentication_failed(request, **credentials)

    def post_login(self, request, user, **kwargs):
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None and sociallogin.account.provider == vneid.PROVIDER_ID:
            identity = vneid.vneid_login_check(sociallogin)
            services.profile_record_identity(user=user, claims=identity["claims"])
            request.session[vneid.SESSION_LOA] = identity["acr"]
            request.session[SESSION_ENDED_AT_PROVIDER] = True
        else:
            request.session.pop(vneid.SESSION_LOA, None)
            request.session.pop(SESSION_ENDED_AT_PROVIDER, None)
        response = super().post_login(request, user, **kwargs)
        login_guard.login_succeeded(request, response, user=user)
        language_remember(request=request, response=response, user=user)
        return response

    def get_logout_redirect_url(self, request):
        """After a VNeID session, the browser goes on to VNeID's end_session_endpoint, which
        brings it back to the home page (read before the session ends)."""
        if request.session.get(SESSION_ENDED_AT_PROVIDER) and vneid.vneid_enabled():
            home = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
            url = vneid.end_session_url(post_logout_redirect_uri=home)
            if url:
                return url
        return super().get_logout_redirect_url(request)

    def is_safe_url(self, url):
        # The VNeID end_session_endpoint is a redirect target of ours.
        if vneid.vneid_enabled() and url and url.startswith(settings.VNEID_OIDC_ISSUER.rstrip("/") + "/"):
            return True
        return super().is_safe_url(url)


def vneid_error_response(request, code: str):
    return render(request, "portal/vneid_error.html", {"message": vneid.error_message(code)}, status=400)


def _error_code(error, exception, extra_context) -> str:
    if isinstance(exception, vneid.VNeIDError):
        return exception.code
    if isinstance(exception, RequestException):
        return "unreachable"
    if error == AuthError.CANCELLED:
        return "cancelled"
    if exception is None and "state" not in (extra_context or {}):
        return "state"
    if exception is not None:
        # The token endpoint refused the code (invalid_grant: used already, or expired).
        return "code"
    return "unknown"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        app = vneid.vneid_app()
        if app is None or provider not in (None, "openid_connect", vneid.PROVIDER_ID):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        raise ImmediateHttpResponse(vneid_error_response(request, _error_code(error, exception, extra_context)))

    def pre_social_login(self, request, sociallogin):
        try:
            identity = vneid.vneid_login_check(sociallogin)
        except vneid.VNeIDError as error:
            raise ImmediateHttpResponse(vneid_error_response(request, error.code)) from error
        if sociallogin.is_existing:
            return
        email = (identity["claims"].get(settings.VNEID_CLAIM_NAMES["email"]) or "").strip()
        candidate = citizen_find(citizen_id=identity["citizen_id"], email=email)
        if candidate is not None:
            # An account of the portal already holds this số định danh (or this e-mail address):
            # it is linked only once the person proves it is theirs (`portal.vneid_views.link`).
            request.session[SESSION_LINK] = {
                "sociallogin": sociallogin.serialize(),
                "user_id": candidate.pk,
                "at": time.time(),
            }
            raise ImmediateHttpResponse(redirect("portal:vneid_link"))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        # Called while the login is being built, before its state is known: the claims only.
        data = sociallogin.account.extra_data or {}
        claims = {**(data.get("userinfo") or {}), **(data.get("id_token") or {})}
        user.full_name = str(claims.get(settings.VNEID_CLAIM_NAMES["full_name"]) or "")[:150]
        return user
