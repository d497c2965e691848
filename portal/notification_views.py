"""Pages of the in-app notifications (thông báo): the list, opening one, marking all read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal import notifications

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
