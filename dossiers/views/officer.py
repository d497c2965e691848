"""Officer pages of the one-stop shop (Bộ phận Một cửa): the reception queue and its actions.

The queue lists the online dossiers waiting for reception at the agencies where the officer
holds the reception permission. Each action is a POST that calls one reception service and
redirects back to the queue (POST-redirect-GET); a refused input comes back on the action's
own page with status 400 and the reasons in Vietnamese; an action the dossier's state no
longer allows (another officer was faster) is reported on the queue.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dossiers import selectors, services
from dossiers.constants import DossierState
from dossiers.models import Dossier
from dossiers.views.common import errors_of
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission

PAGE_SIZE = 50


def _reception_queue(*, user) -> QuerySet[Dossier]:
    """Submitted dossiers waiting at the agencies where ``user`` may receive, oldest first."""
    agency_ids = portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.RECEIVE)
    return (
        Dossier.objects.filter(receiving_agency_id__in=agency_ids, state=DossierState.SUBMITTED)
        .select_related("procedure", "procedure_version", "receiving_agency")
        .order_by("submitted_at", "pk")
    )


def _receiving_officer(request) -> None:
    if not portal_selectors.officer_agency_ids(user=request.user, permission=OfficerPermission.RECEIVE):
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ tiếp nhận hồ sơ."))


def _dossier_for_officer(request, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=request.user, code=code[:48])
    if dossier is None or not selectors.dossier_officer_can_view(user=request.user, dossier=dossier):
        raise Http404
    return dossier


def _state_refused(request, error: ValidationError):
    """Another officer acted first, or the state does not allow the action: say so on the queue."""
    messages.error(request, " ".join(error.messages))
    return redirect("dossiers:reception_queue")


@login_required
def reception_queue(request):
    _receiving_officer(request)
    page = Paginator(_reception_queue(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dossiers/officer/reception_queue.html",
        {"page_obj": page, "dossiers": page.object_list, "now": timezone.now()},
    )


@login_required
@require_POST
def reception_receive(request, code: str):
    dossier = _dossier_for_officer(request, code)
    try:
        services.dossier_receive(user=request.user, dossier_id=dossier.pk, note=request.POST.get("note", ""))
    except ValidationError as error:
        if getattr(error, "code", None) == "invalid_state" or not hasattr(error, "error_dict"):
            return _state_refused(request, error)
        messages.error(request, " ".join(error.messages))
        return redirect("dossiers:reception_queue")
    messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
    return redirect("dossiers:reception_queue")


@login_required
@require_http_methods(["GET", "POST"])
def reception_refuse(request, code: str):
    dossier = _dossier_for_officer(request, code)
    errors: dict[str, list[str]] = {}
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.dossier_refuse(user=request.user, dossier_id=dossier.pk, reason=reason)
        except ValidationError as error:
            if getattr(error, "code", None) == "invalid_state":
                return _state_refused(request, error)
            errors = errors_of(error)
        else:
            messages.success(request, _("Đã từ chối tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect("dossiers:reception_queue")
    context = {"dossier": dossier, "errors": errors, "reason": reason}
    return render(request, "dossiers/officer/refuse.html", context, status=400 if errors else 200)


def _supplement_rows(dossier: Dossier, data) -> tuple[list[dict], list[dict]]:
    """One reason box per document requirement and per form field, filled from ``data``."""
    version = dossier.procedure_version
    documents = [
        {"key": f"doc-{r.pk}", "id": r.pk, "label": r.name, "reason": data.get(f"doc-{r.pk}", "")}
        for r in version.documents.order_by("order", "pk")
    ]
    fields = [
        {
            "key": f"field-{f['name']}",
            "name": f["name"],
            "label": f.get("label") or f["name"],
            "reason": data.get(f"field-{f['name']}", ""),
        }
        for f in (version.form_schema or {}).get("fields", [])
        if f.get("name")
    ]
    return documents, fields


@login_required
@require_http_methods(["GET", "POST"])
def reception_request_supplement(request, code: str):
    dossier = _dossier_for_officer(request, code)
    data = request.POST if request.method == "POST" else {}
    documents, fields = _supplement_rows(dossier, data)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        items = [
            {"requirement_id": row["id"], "field": None, "reason": row["reason"]}
            for row in documents
            if row["reason"].strip()
        ]
        items += [
            {"requirement_id": None, "field": row["name"], "reason": row["reason"]}
            for row in fields
            if row["reason"].strip()
        ]
        if request.POST.get("other", "").strip():
            items.append({"requirement_id": None, "field": None, "reason": request.POST["other"]})
        try:
            services.dossier_request_supplement(
                user=request.user,
                dossier_id=dossier.pk,
                items=items,
                note=request.POST.get("note", ""),
                message=request.POST.get("message", ""),
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "invalid_state":
                return _state_refused(request, error)
            # "items" would shadow dict.items in the template's error list.
            errors = {("__all__" if key == "items" else key): value for key, value in errors_of(error).items()}
        else:
            messages.success(request, _("Đã gửi yêu cầu bổ sung hồ sơ %(code)s.") % {"code": dossier.code})
            # The assigned specialist (during processing) has no reception queue: back to the dossier.
            if portal_selectors.officer_can(
                user=request.user, agency_id=dossier.receiving_agency_id, permission=OfficerPermission.RECEIVE
            ):
                return redirect("dossiers:reception_queue")
            return redirect("dossiers:officer_dossier", code=dossier.code)
    context = {
        "dossier": dossier,
        "documents": documents,
        "fields": fields,
        "other": data.get("other", ""),
        "note": data.get("note", ""),
        "message": data.get("message", ""),
        "errors": errors,
    }
    return render(request, "dossiers/officer/request_supplement.html", context, status=400 if errors else 200)


urlpatterns = [
    path("officer/reception/", reception_queue, name="reception_queue"),
    path("officer/reception/<str:code>/receive/", reception_receive, name="reception_receive"),
    path("officer/reception/<str:code>/refuse/", reception_refuse, name="reception_refuse"),
    path(
        "officer/reception/<str:code>/request-supplement/",
        reception_request_supplement,
        name="reception_request_supplement",
    ),
]
