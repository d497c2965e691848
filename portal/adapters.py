"""allauth's account adapter: where officers land, the client's address, the failed logins."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.urls import reverse

from portal import login_guard
from portal.client_address import client_ip
from portal.selectors import user_is_officer


def _email(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


class AccountAdapter(DefaultAccountAdapter):
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
        return response
