from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from portal.selectors import user_is_officer


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        if user_is_officer(request.user):
            return reverse("portal:officer_home")
        return super().get_login_redirect_url(request)
