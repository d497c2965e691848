"""Pages of the portal shell and of the account area (profile, organisations, tokens)."""

import logging
import re
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu import Connection

from portal import divisions, selectors, services
from portal.constants import ROLE_PERMISSIONS
from portal.forms import ApiTokenForm, InvitationForm, OrganisationForm, ProfileForm
from portal.models import Organisation, User
from portal.second_factor import officer_session_verified
from portal.unavailable import DATABASE_ERRORS, database_unavailable
from portal.vneid import SESSION_LOA

logger = logging.getLogger(__name__)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


def home(request):
    return render(request, "portal/home.html")


def _broker_ok() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any broker failure makes the check fail, whatever its kind
        logger.warning("healthz: broker check failed", exc_info=True)
        return False


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - reported as "down", logged below
        logger.warning("healthz: database check failed", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": {k: "ok" if v else "down" for k, v in checks.items()}},
        status=200 if healthy else 503,
    )


@require_GET
def communes(request):
    """Options of the commune select for a province (htmx swaps them in)."""
    try:
        province = int(
            request.GET.get("permanent_province")
            or request.GET.get("current_province")
            or request.GET.get("province")
            or 0
        )
    except ValueError:
        province = 0
    return render(request, "portal/_commune_options.html", {"communes": divisions.commune_choices(province)})


@login_required
def account(request):
    context = {
        "profile": selectors.profile_for_user(user=request.user),
        "organisations": selectors.organisations_for_user(user=request.user),
        "memberships": selectors.officer_memberships(user=request.user),
    }
    return render(request, "portal/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = selectors.profile_for_user(user=request.user)
    initial = {} if profile else {"email": request.user.email, "full_name": request.user.full_name}
    form = ProfileForm(request.POST or None, instance=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Đã lưu hồ sơ cá nhân."))
            return redirect("portal:account")
    return render(request, "portal/profile_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def organisation_list(request):
    return render(
        request,
        "portal/organisation_list.html",
        {"organisations": selectors.organisations_for_user(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Đã đăng ký tổ chức %(name)s.") % {"name": org.name})
            return redirect("portal:organisation_detail", pk=org.pk)
    return render(request, "portal/organisation_form.html", {"form": form}, status=400 if form.errors else 200)


def _organisation_for_member(request, pk: int) -> Organisation:
    org = get_object_or_404(Organisation, pk=pk)
    if selectors.organisation_role(user=request.user, organisation=org) is None:
        raise Http404
    return org


@login_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request, pk: int):
    org = _organisation_for_member(request, pk)
    is_owner = selectors.organisation_is_owner(user=request.user, organisation=org)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation = services.organisation_invite_member(
                    actor=request.user,
                    organisation=org,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                if invitation.sends_requested > 1:
                    done = _("Đã gửi lại lời mời tới %(email)s.")
                else:
                    done = _("Đã gửi lời mời tới %(email)s.")
                messages.success(request, done % {"email": invitation.email})
                return redirect("portal:organisation_detail", pk=org.pk)
    context = {
        "organisation": org,
        "is_owner": is_owner,
        "members": selectors.organisation_members(organisation=org),
        "pending": org.invitations.filter(accepted_at__isnull=True, cancelled_at__isnull=True),
        "form": form,
    }
    return render(request, "portal/organisation_detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def organisation_remove_member(request, pk: int, user_id: int):
    org = _organisation_for_member(request, pk)
    member = get_object_or_404(User, pk=user_id)
    try:
        services.organisation_remove_member(actor=request.user, organisation=org, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Đã xoá %(who)s khỏi tổ chức.") % {"who": member})
    return redirect("portal:organisation_detail", pk=org.pk)


# Invitation tokens are secrets.token_urlsafe(); anything else (a NUL byte, say, which
# PostgreSQL refuses in a query) is simply an unknown link.
_INVITATION_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    if not _INVITATION_TOKEN_RE.fullmatch(token):
        raise Http404
    if request.method == "POST":
        try:
            membership = services.organisation_accept_invitation(user=request.user, token=token)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("portal:account")
        messages.success(request, _("Bạn đã tham gia tổ chức %(name)s.") % {"name": membership.organisation.name})
        return redirect("portal:organisation_detail", pk=membership.organisation_id)
    invitation = selectors.invitation_open(token=token)
    return render(request, "portal/invitation_accept.html", {"token": token, "invitation": invitation})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                session_verified=officer_session_verified(request),
                totp_code=form.cleaned_data["totp_code"],
                # The token keeps the level of this session: it never files what the session could not.
                assurance=request.session.get(SESSION_LOA, ""),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            form = ApiTokenForm()
    context = {"form": form, "tokens": selectors.api_tokens_for_user(user=request.user), "new_secret": new_secret}
    response = render(request, "portal/api_tokens.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    try:
        token = services.api_token_revoke(user=request.user, token_id=pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Đã thu hồi mã truy cập “%(name)s”.") % {"name": token.name})
    return redirect("portal:api_tokens")


@login_required
def officer_home(request):
    memberships = selectors.officer_memberships(user=request.user)
    if not memberships:
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ."))
    permissions = set()
    for membership in memberships:
        permissions |= ROLE_PERMISSIONS.get(membership.role, frozenset())
    return render(request, "portal/officer_home.html", {"memberships": memberships, "permissions": permissions})


def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /accounts/\nDisallow: /officer/\n", content_type="text/plain")


def error_403(request, exception=None):
    # Only the message of a PermissionDenied raised with one is shown; the template falls back
    # to a generic sentence for a bare PermissionDenied (whose str() is empty).
    return render(request, "403.html", {"exception": str(exception or "")}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    """The answer to an uncaught exception; the database gone away is a 503 with
    ``Retry-After`` (`portal.unavailable`), not a 500."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    return render(request, "500.html", status=500)
