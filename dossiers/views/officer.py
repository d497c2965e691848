"""Officer pages of the one-stop shop (Bộ phận Một cửa): the reception queue and its actions.

The queue lists the online dossiers waiting for reception at the agencies where the officer
holds the reception permission, with the worklists' search, filters and bulk actions. No
dossier is received from the list in one click: "Tiếp nhận" opens a confirmation page that
shows what was filed (or, for a selection, the bulk flow's confirmation). Each action is a
POST that calls one reception service and redirects back to the queue (POST-redirect-GET); a
refused input comes back on the action's own page with status 400 and the reasons in
Vietnamese; an action the dossier's state no longer allows (another officer was faster) is
reported on the queue.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dossiers import selectors, services, worklists
from dossiers.models import Dossier
from dossiers.views import worklists as worklist_views
from dossiers.views.common import errors_of
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission


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
    scope = worklists.officer_scope(user=request.user)
    return worklist_views.render_list(
        request, scope, name="reception", template="dossiers/officer/reception_queue.html"
    )


@login_required
@require_http_methods(["GET", "POST"])
def reception_receive(request, code: str):
    """GET: what was filed, and a button to confirm; POST: receive."""
    dossier = _dossier_for_officer(request, code)
    if request.method == "GET":
        context = {
            "dossier": dossier,
            "documents": selectors.dossier_documents(dossier=dossier),
            "answers": _answers(dossier),
        }
        return render(request, "dossiers/officer/receive_confirm.html", context)
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


def _answers(dossier: Dossier) -> list[tuple[str, object]]:
    """The declared form fields as (label, value), in the schema's order (top-level fields)."""
    data = dossier.form_data or {}
    rows = []
    for field in (dossier.procedure_version.form_schema or {}).get("fields", []):
        name = field.get("name")
        if name and data.get(name) not in (None, "", [], {}):
            rows.append((field.get("label") or name, data[name]))
    return rows


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
