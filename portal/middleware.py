"""Officers work only from a session verified with the second factor (`portal.second_factor`).

For every request signed in by session, an officer whose session has not passed the second
factor lately loses its officer powers for the request; on the doors of officer work it is
sent to set up its authenticator app (TOTP) or to enter a code again, and the API answers 403.
Bearer tokens are judged by the token authentication (their ``officer`` scope), not here.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.api.exceptions import error_json_response
from portal.second_factor import officer_request_gate
from portal.selectors import user_has_totp, user_holds_officer_membership

# Officer pages (statistics and the register included), the Django admin, which agency
# administrators use as well, the dossier pages and the private files.
OFFICER_PREFIXES = ("/officer/", "/admin/", "/dossiers/", "/files/")
API_PREFIX = "/api/"


class OfficerMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and request.headers.get("Authorization"):
            return self.get_response(request)  # a token: BearerTokenAuthentication decides
        user = request.user
        if not user_holds_officer_membership(user) or officer_request_gate(request):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return error_json_response(
                status_code=403,
                code="second_factor_required",
                message=_(
                    "Cán bộ phải xác thực hai lớp (TOTP) trong phiên đăng nhập này trước khi làm việc "
                    "qua API; hoặc dùng mã truy cập có phạm vi “officer”."
                ),
            )
        if request.path.startswith(OFFICER_PREFIXES):
            if request.headers.get("HX-Request"):
                # A fragment fetched by a page (the menu's counts): answer nothing rather than
                # redirect, since following the redirect would open the activation page in the
                # background and replace the secret the officer is about to confirm.
                return HttpResponse(status=204)
            if not user_has_totp(user):
                messages.warning(
                    request,
                    _("Tài khoản cán bộ phải bật xác thực hai lớp (TOTP) trước khi làm việc."),
                )
                return redirect("mfa_activate_totp")
            messages.warning(
                request,
                _("Hãy nhập mã xác thực hai lớp (TOTP) để tiếp tục làm việc với quyền cán bộ."),
            )
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
