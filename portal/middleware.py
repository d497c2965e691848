"""Officers must have TOTP set up before any officer page (issue: accounts and roles)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from portal.selectors import user_has_totp, user_is_officer

# Officer pages, and the Django admin, which agency administrators (officers) use as well.
OFFICER_PREFIXES = ("/officer/", "/admin/")


class OfficerMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(OFFICER_PREFIXES) and user_is_officer(request.user):
            if not user_has_totp(request.user):
                if request.headers.get("HX-Request"):
                    # A fragment fetched by a page (the menu's counts): answer nothing rather than
                    # redirect, since following the redirect would open the activation page in the
                    # background and replace the secret the officer is about to confirm.
                    return HttpResponse(status=204)
                messages.warning(
                    request,
                    _("Tài khoản cán bộ phải bật xác thực hai lớp (TOTP) trước khi làm việc."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
