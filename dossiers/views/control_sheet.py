"""The process control sheet page (phiếu kiểm soát quá trình giải quyết hồ sơ, form 05) for officers.

GET shows the dossier's latest sheet: whether it is up to date with the dossier's events,
still being rendered, or ready to download through the permission-checked slip download.
POST asks for the up-to-date sheet (one service call) and comes back to the page
(POST-redirect-GET). Anyone who may not see the dossier as an officer gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dossiers import selectors
from dossiers.constants import SlipKind
from dossiers.models import Dossier, Slip
from dossiers.services.official_slips import slip_control_sheet_request


def _dossier_for_officer(request, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=request.user, code=code[:48])
    if dossier is None or not selectors.dossier_officer_can_view(user=request.user, dossier=dossier):
        raise Http404
    return dossier


@login_required
@require_http_methods(["GET", "POST"])
def control_sheet(request, code: str):
    dossier = _dossier_for_officer(request, code)
    if request.method == "POST":
        try:
            slip = slip_control_sheet_request(user=request.user, dossier_id=dossier.pk)
        except PermissionDenied:
            raise Http404 from None
        if slip.file:
            messages.info(request, _("Phiếu kiểm soát đã cập nhật đến thao tác mới nhất của hồ sơ."))
        else:
            messages.success(request, _("Đã yêu cầu lập phiếu kiểm soát; phiếu sẽ sẵn sàng sau ít giây."))
        return redirect("dossiers:control_sheet", code=dossier.code)
    slip = Slip.objects.filter(dossier=dossier, kind=SlipKind.CONTROL_SHEET).order_by("-number").first()
    context = {
        "dossier": dossier,
        "slip": slip,
        "up_to_date": slip is not None and slip.event_seq == dossier.events_count,
    }
    return render(request, "dossiers/officer/control_sheet.html", context)


urlpatterns = [
    path("officer/dossiers/<str:code>/control-sheet/", control_sheet, name="control_sheet"),
]
