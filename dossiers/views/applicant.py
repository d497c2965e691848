"""Applicant pages after filing: answer a supplement request, ask to withdraw, rate, delete a draft.

Each page is for the applicant (or a member of the applicant organisation) only; anyone
else gets 404. A POST calls one service and redirects (POST-redirect-GET); refused input
comes back on the same page with status 400 and the reasons in Vietnamese.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, Resolver404, path, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dossiers import selectors, services
from dossiers.constants import FINAL_STATES, DossierState, Rating
from dossiers.models import Dossier
from dossiers.services.documents import PHOTOS_MERGE, photo_size_problem, photos_count_problem, photos_mode
from dossiers.views.common import errors_of
from portal.security_headers import camera_allowed
from procedures import selectors as procedure_selectors

# Read at most this much of one uploaded file; the per-document limit is checked after.
UPLOAD_READ_LIMIT = settings.DOSSIER_MAX_TOTAL_SIZE
# How many of the newest documents of the applicant's store are offered for reuse.
STORE_CHOICES = 50


def _dossier_for_applicant(request, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=request.user, code=code)
    if dossier is None or not selectors.dossier_applicant_can_view(user=request.user, dossier=dossier):
        raise Http404
    return dossier


def _dossier_page(dossier: Dossier, fallback: str) -> str:
    """The dossier's own page when the site has one, else ``fallback``."""
    url = f"/dossiers/{dossier.code}/"
    try:
        resolve(url)
    except Resolver404:
        return fallback
    return url


def published_results(*, user, dossier: Dossier) -> list[dict]:
    """The results returned to the applicant (kết quả điện tử), each with the applicant's own copy.

    The applicant downloads the entry of its document store carrying the result's code (its
    own or its organisation's), never the agency's working copy.
    """
    if not selectors.dossier_applicant_can_view(user=user, dossier=dossier):
        return []
    results = list(selectors.dossier_results(dossier=dossier, published_only=True))
    if not results:
        return []
    copies: dict[str, int] = {}
    # Newest first (the store's order); keep the newest copy of each result.
    for result_code, pk in (
        selectors.stored_documents_for_user(user=user)
        .filter(result_code__in=[r.code for r in results])
        .values_list("result_code", "pk")
    ):
        copies.setdefault(result_code, pk)
    return [{"result": r, "stored_id": copies.get(r.code)} for r in results]


def _json_safe(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _read_files(request, dossier, requirement_ids: list[int]) -> tuple[dict, dict[str, list[str]]]:
    """The files sent per requested document: an upload, or photos from the camera (issue 25)
    made into one file as on the filing wizard (`services.photos_as_document`)."""
    files: dict = {}
    errors: dict[str, list[str]] = {}
    for requirement_id in requirement_ids:
        key = f"documents[{requirement_id}]"
        upload = request.FILES.get(key)
        photos = request.FILES.getlist(f"photos[{requirement_id}]")
        if upload is not None and photos:
            errors[key] = [_("Hãy gửi hoặc một tệp, hoặc ảnh chụp cho giấy tờ này, không gửi cả hai.")]
            continue
        if photos:
            problems = [photos_count_problem(len(photos))] + [
                photo_size_problem(position=n, name=p.name, size=p.size) for n, p in enumerate(photos, 1)
            ]
            if problems := [p for p in problems if p]:
                errors[key] = problems[:1]
                continue
            requirement = services.requirement_get(dossier, requirement_id)
            try:
                files[requirement_id] = services.photos_as_document(requirement, [(p.name, p.read()) for p in photos])
            except ValidationError as error:
                errors[key] = [m for messages_ in errors_of(error).values() for m in messages_]
            continue
        if upload is None:
            continue
        if upload.size > UPLOAD_READ_LIMIT:
            errors[key] = [_("Tệp quá lớn.")]
            continue
        files[requirement_id] = (upload.name, upload.read())
    return files, errors


@camera_allowed
@login_required
@require_http_methods(["GET", "POST"])
def supplement(request, code: str):
    dossier = _dossier_for_applicant(request, code)
    request_info = services.supplement_request_get(dossier)
    schema_fields = [
        f for f in dossier.procedure_version.form_schema.get("fields", []) if f["name"] in request_info.field_names
    ]
    form = procedure_selectors.form_schema_build_form(
        {"fields": schema_fields},
        data=request.POST if request.method == "POST" else None,
        initial=dossier.form_data,
        prefix="data",
    )
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        # Nothing is read (photos merged) for a supplement no longer asked for: the service refuses it.
        open_request = dossier.state == DossierState.SUPPLEMENT_REQUESTED
        files, errors = _read_files(request, dossier, request_info.requirement_ids) if open_request else ({}, {})
        form_ok = form.is_valid()
        if form_ok and not errors:
            data = {name: _json_safe(value) for name, value in form.cleaned_data.items()}
            try:
                services.dossier_supplement_submit(
                    user=request.user,
                    dossier_id=dossier.pk,
                    data=data or None,
                    note=request.POST.get("note", ""),
                    files=files,
                    from_store={
                        rid: request.POST.get(f"from_store[{rid}]")
                        for rid in request_info.requirement_ids
                        if request.POST.get(f"from_store[{rid}]")
                    },
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                errors = errors_of(error)
            else:
                messages.success(request, _("Đã gửi hồ sơ bổ sung. Cơ quan sẽ tiếp tục giải quyết hồ sơ của bạn."))
                return redirect(_dossier_page(dossier, reverse("dossiers:supplement", args=[code])))
        status = 400
    requirements = {r.pk: r for r in dossier.procedure_version.documents.all()}
    current = {d.requirement_id: d for d in selectors.dossier_documents(dossier=dossier)}
    store = list(selectors.stored_documents_for_user(user=request.user)[:STORE_CHOICES]) if request_info.items else []
    slots = [
        {
            "requirement": requirements[rid],
            "current": current.get(rid),
            "store": [
                d
                for d in store
                if (not requirements[rid].accepted_types or d.mime_type in requirements[rid].accepted_types)
                and d.size <= requirements[rid].max_size
                and (current.get(rid) is None or d.pk != current[rid].stored_id)
            ],
            "picked": request.POST.get(f"from_store[{rid}]", "") if request.method == "POST" else "",
            "items": [i for i in request_info.items if i.requirement_id == rid],
            "errors": errors.get(f"documents[{rid}]", []),
            "photos_mode": photos_mode(requirements[rid].accepted_types),
            "photo_max_size": settings.DOCUMENT_PHOTO_MAX_SIZE
            if photos_mode(requirements[rid].accepted_types) == PHOTOS_MERGE
            else min(settings.DOCUMENT_PHOTO_MAX_SIZE, requirements[rid].max_size),
        }
        for rid in dict.fromkeys(request_info.requirement_ids)
    ]
    for name in list(errors):
        if name.startswith("data."):
            field_name = name.removeprefix("data.")
            if field_name in form.fields:
                form.add_error(field_name, errors[name])
    # The error summary (as on the filing wizard): each error a link to the input to fix.
    summary = []
    for key, msgs in errors.items():
        if key.startswith("data."):
            continue  # on the form, listed with its field below
        rid = key.removeprefix("documents[").rstrip("]") if key.startswith("documents[") else ""
        href = f"#doc-{rid}" if rid.isdigit() and int(rid) in requirements else ("#note" if key == "note" else "")
        summary += [{"message": m, "href": href} for m in msgs]
    summary += [{"message": m, "href": ""} for m in form.non_field_errors()]
    summary += [
        {"message": m, "href": f"#{form[name].id_for_label}"} for name in form.fields for m in form[name].errors
    ]
    context = {
        "dossier": dossier,
        "request_info": request_info,
        "summary": summary,
        "open": dossier.state == DossierState.SUPPLEMENT_REQUESTED,
        "form": form,
        "slots": slots,
        "note": request.POST.get("note", "") if request.method == "POST" else "",
        "errors": errors,
    }
    return render(request, "dossiers/applicant/supplement.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, code: str):
    dossier = _dossier_for_applicant(request, code)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not request.POST.get("confirm"):
            errors["confirm"] = [_("Vui lòng xác nhận bạn muốn rút hồ sơ.")]
        try:
            if errors:
                raise ValidationError(errors)
            dossier = services.dossier_withdraw_request(
                user=request.user, dossier_id=dossier.pk, reason=request.POST.get("reason", "")
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            errors = errors_of(error)
            status = 400
        else:
            if dossier.state == DossierState.WITHDRAWN:
                messages.success(request, _("Hồ sơ %(code)s đã được rút.") % {"code": dossier.code})
            else:
                messages.success(
                    request, _("Đã gửi yêu cầu rút hồ sơ %(code)s tới cơ quan giải quyết.") % {"code": dossier.code}
                )
            return redirect(_dossier_page(dossier, reverse("dossiers:withdraw", args=[code])))
    context = {
        "dossier": dossier,
        "open": dossier.state not in (DossierState.DRAFT, DossierState.WITHDRAWAL_REQUESTED, *FINAL_STATES),
        "reason": request.POST.get("reason", "") if request.method == "POST" else "",
        "errors": errors,
    }
    return render(request, "dossiers/applicant/withdraw.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rate(request, code: str):
    dossier = _dossier_for_applicant(request, code)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            dossier = services.dossier_rate(
                user=request.user,
                dossier_id=dossier.pk,
                rating=request.POST.get("rating", ""),
                comment=request.POST.get("comment", ""),
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            errors = errors_of(error)
            status = 400
        else:
            messages.success(request, _("Cảm ơn bạn đã đánh giá chất lượng giải quyết hồ sơ."))
            return redirect(_dossier_page(dossier, reverse("dossiers:rate", args=[code])))
    context = {
        "dossier": dossier,
        "open": dossier.state == DossierState.RETURNED and dossier.rated_at is None,
        "ratings": Rating.choices,
        "selected": request.POST.get("rating", "") if request.method == "POST" else "",
        "comment": request.POST.get("comment", "") if request.method == "POST" else "",
        "errors": errors,
    }
    return render(request, "dossiers/applicant/rate.html", context, status=status)


@login_required
@require_POST
def draft_delete(request, pk: int):
    try:
        services.dossier_draft_delete(user=request.user, dossier_id=pk)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Đã xoá bản nháp."))
    try:
        target = reverse("dossiers:mine")
    except NoReverseMatch:  # "My dossiers" belongs to the filing stream; home until it exists.
        target = reverse("portal:home")
    return redirect(target)


urlpatterns = [
    path("dossiers/<str:code>/supplement/", supplement, name="supplement"),
    path("dossiers/<str:code>/withdraw/", withdraw, name="withdraw"),
    path("dossiers/<str:code>/rate/", rate, name="rate"),
    path("dossiers/drafts/<int:pk>/delete/", draft_delete, name="draft_delete"),
]
