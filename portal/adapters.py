"""allauth's account adapter: where officers land, the client's address, the failed logins."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.urls import reverse

from portal import login_guard
from portal.client_address import client_ip
from portal.language import language_remember
from portal.selectors import user_is_officer


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
        response = super().post_login(request, user, **kwargs)
        login_guard.login_succeeded(request, response, user=user)
        language_remember(request=request, response=response, user=user)
        return response
