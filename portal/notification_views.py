"""Pages of the in-app notifications (thông báo): the list, opening one, marking all read,
and the user's channel preferences."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import notifications
from portal.models import NotificationChannel

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request):
    page = Paginator(notifications.notifications_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one notification read and go to what it is about."""
    notification = notifications.notification_mark_read(user=request.user, notification_id=pk)
    if notification is None:
        raise Http404
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("portal:notifications")


@login_required
@require_POST
def notification_read_all(request):
    notifications.notifications_mark_all_read(user=request.user)
    messages.success(request, _("Đã đánh dấu tất cả thông báo là đã đọc."))
    return redirect("portal:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """Which events reach the user by email and SMS, and in which language; deadline alerts
    stay on for officers."""
    if request.method == "POST":
        enabled = {name for name in request.POST.getlist("on") if isinstance(name, str)}
        language = request.POST.get("language") or None
        try:
            notifications.preferences_update(user=request.user, enabled=enabled, language=language)
        except ValidationError:
            messages.error(request, _("Ngôn ngữ không hợp lệ."))
            status = 400
        else:
            messages.success(request, _("Đã lưu tùy chọn nhận thông báo."))
            return redirect("portal:notification_preferences")
    else:
        status = 200
    context = {
        "rows": notifications.preferences_for_user(user=request.user),
        "channels": [NotificationChannel(c).label for c in notifications.optional_channels()],
        "languages": settings.LANGUAGES,
    }
    return render(request, "portal/notification_preferences.html", context, status=status)
