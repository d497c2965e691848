"""Pages of the VNeID sign-in: allauth's OpenID Connect login and callback with the portal's
adapter (`portal.vneid`), the refusals in Vietnamese, and the link to an existing account.

A first VNeID sign-in whose số định danh (or e-mail address) is already an account's of the
portal does not open that account: the person proves it is theirs with the account's password
or with a code sent to the account's e-mail address, and only then is VNeID linked to it and the
sign-in completed (`link`). Nothing is linked by a match alone.
"""

import hashlib
import hmac
import secrets
import time

from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django import forms
from django.conf import settings
from django.core.mail import send_mail
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal import login_guard, vneid
from portal.adapters import SESSION_LINK, vneid_error_response
from portal.assurance import assurance_meets
from portal.selectors import user_active_get

LINK_MAX_AGE_SECONDS = 15 * 60
CODE_MAX_AGE_SECONDS = 10 * 60
CODE_MAX_ATTEMPTS = 5
SESSION_LINK_CODE = "vneid_link_code"


def login(request, provider_id):
    """allauth's login (POST: to VNeID with state, nonce, PKCE and acr_values); an unreachable
    VNeID is a message, not an error page."""
    try:
        return OAuth2LoginView.adapter_view(vneid.VNeIDOAuth2Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except vneid.VNeIDError as error:
        return vneid_error_response(request, error.code)


def callback(request, provider_id):
    try:
        return OAuth2CallbackView.adapter_view(vneid.VNeIDOAuth2Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except vneid.VNeIDError as error:
        return vneid_error_response(request, error.code)


class LinkPasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Mật khẩu của tài khoản"), widget=forms.PasswordInput, strip=False)


class LinkCodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Mã gửi qua email"), max_length=6, min_length=6)


def _mask(email: str) -> str:
    name, _at, domain = email.partition("@")
    return f"{name[:2]}***@{domain}"


def _code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def _complete(request, pending: dict, user):
    """Proof given: link VNeID to the account, then finish the sign-in as allauth does."""
    request.session.pop(SESSION_LINK, None)
    request.session.pop(SESSION_LINK_CODE, None)
    SocialLogin.deserialize(pending["sociallogin"]).connect(request, user)
    return complete_social_login(request, SocialLogin.deserialize(pending["sociallogin"]))


@require_http_methods(["GET", "POST"])
def link(request):
    pending = request.session.get(SESSION_LINK)
    user = user_active_get(user_id=pending["user_id"]) if pending else None
    if not pending or user is None or time.time() - pending["at"] > LINK_MAX_AGE_SECONDS:
        request.session.pop(SESSION_LINK, None)
        return vneid_error_response(request, "state")
    password_form = LinkPasswordForm(request.POST if request.POST.get("step") == "password" else None)
    code_form = LinkCodeForm(request.POST if request.POST.get("step") == "code" else None)
    status = 200
    if request.method == "POST":
        step = request.POST.get("step")
        wait = login_guard.login_wait(request, email=user.email)
        if wait and step in ("password", "code"):
            password_form = LinkPasswordForm()
            password_form.add_error(None, login_guard.login_refusal(wait))
            status = 400
        elif step == "password" and password_form.is_valid():
            if user.check_password(password_form.cleaned_data["password"]):
                return _complete(request, pending, user)
            login_guard.login_failed(request, email=user.email)
            password_form.add_error("password", _("Mật khẩu không đúng."))
            status = 400
        elif step == "send_code":
            code = f"{secrets.randbelow(10**6):06d}"
            request.session[SESSION_LINK_CODE] = {"hash": _code_hash(code), "at": time.time(), "attempts": 0}
            send_mail(
                _("[%(portal)s] Mã liên kết tài khoản với VNeID") % {"portal": settings.PORTAL_NAME},
                _(
                    "Mã để liên kết tài khoản của bạn với VNeID là %(code)s (dùng trong 10 phút). "
                    "Nếu không phải bạn yêu cầu, hãy bỏ qua thư này."
                )
                % {"code": code},
                None,
                [user.email],
            )
            return render(
                request,
                "portal/vneid_link.html",
                {"email": _mask(user.email), "password_form": password_form, "code_form": LinkCodeForm(), "sent": True},
            )
        elif step == "code" and code_form.is_valid():
            sent = request.session.get(SESSION_LINK_CODE) or {}
            fresh = sent and time.time() - sent["at"] <= CODE_MAX_AGE_SECONDS and sent["attempts"] < CODE_MAX_ATTEMPTS
            if fresh and hmac.compare_digest(sent["hash"], _code_hash(code_form.cleaned_data["code"])):
                return _complete(request, pending, user)
            if sent:
                sent["attempts"] += 1
                request.session[SESSION_LINK_CODE] = sent
            login_guard.login_failed(request, email=user.email)
            code_form.add_error("code", _("Mã không đúng hoặc đã hết hạn."))
            status = 400
        else:
            status = 400
    return render(
        request,
        "portal/vneid_link.html",
        {
            "email": _mask(user.email),
            "password_form": password_form,
            "code_form": code_form,
            "sent": bool(request.session.get(SESSION_LINK_CODE)),
        },
        status=status,
    )


def assurance_gate(request, *, required: str):
    """None when the session reached ``required`` (a procedure's ``required_assurance``) through
    VNeID; otherwise the page (403) that asks the person to sign in again with VNeID at that level
    and come back here."""
    if assurance_meets(request.session.get(vneid.SESSION_LOA), required):
        return None
    return render(
        request,
        "portal/vneid_step_up.html",
        {"required": required, "next": request.get_full_path(), "available": vneid.vneid_enabled()},
        status=403,
    )
