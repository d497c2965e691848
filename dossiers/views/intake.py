"""Counter intake pages (tiếp nhận trực tiếp): the reception officer files a walk-in or postal dossier.

``/officer/intake/`` picks the agency and the procedure and looks the citizen up by CCCD or
email; ``/officer/intake/<procedure code>/`` is one form — applicant, the procedure's form,
one scan per document component, channel — posted to ``dossier_counter_intake``. On success
the officer lands on the dossier page, where form 01 is listed, with the tracking PIN shown
once to hand to the applicant. A hidden one-time token makes a double click file only once.
"""

import re
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dossiers import services
from dossiers.constants import Channel
from dossiers.views.common import errors_of
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from portal.security_headers import camera_allowed
from procedures import selectors as procedure_selectors

PROCEDURE_CHOICES_MAX = 500
APPLICANT_FIELDS = ("full_name", "citizen_id", "email", "phone", "address")
DONE_SESSION_KEY = "dossiers.intake.done"
DONE_KEEP = 20
_CCCD_RE = re.compile(r"^\d{12}$", re.ASCII)


def _intake_agency_ids(request) -> set[int]:
    agency_ids = portal_selectors.officer_agency_ids(user=request.user, permission=OfficerPermission.COUNTER_INTAKE)
    if not agency_ids:
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ tiếp nhận hồ sơ trực tiếp."))
    return agency_ids


def _lookup(query: str) -> tuple[object | None, str]:
    """The citizen's account for a CCCD or an email, and a message when the query is not one."""
    query = (query or "").strip()
    if not query:
        return None, ""
    if _CCCD_RE.match(query):
        return portal_selectors.citizen_find(citizen_id=query), ""
    if "@" in query and len(query) <= 254:
        return portal_selectors.citizen_find(email=query), ""
    return None, _("Nhập số định danh cá nhân (CCCD) gồm 12 chữ số, hoặc địa chỉ email.")


@login_required
@require_GET
def intake_start(request):
    agency_ids = _intake_agency_ids(request)
    agencies = list(procedure_selectors.agency_list().filter(pk__in=agency_ids))
    versions = list(
        procedure_selectors.procedure_versions_in_force()
        .filter(procedure__agencies__in=procedure_selectors.intake_agency_ids(agency_ids=agency_ids))
        .select_related("procedure")
        .order_by("procedure__code")
        .distinct()[:PROCEDURE_CHOICES_MAX]
    )
    query = request.GET.get("q", "")[:254]
    found, query_error = _lookup(query)
    profile = portal_selectors.profile_for_user(user=found) if found is not None else None
    errors: dict[str, list[str]] = {}
    if query_error:
        errors["q"] = [query_error]
    if request.GET.get("go"):
        code = request.GET.get("procedure", "")
        agency = request.GET.get("agency", "")
        if code not in {v.procedure.code for v in versions}:
            errors["procedure"] = [_("Vui lòng chọn thủ tục.")]
        if agency not in {str(a.pk) for a in agencies}:
            errors["agency"] = [_("Vui lòng chọn cơ quan tiếp nhận.")]
        if not errors:
            url = reverse("dossiers:intake_form", kwargs={"procedure_code": code})
            return redirect(f"{url}?{urlencode({'agency': agency, 'q': query.strip()})}")
    context = {
        "agencies": agencies,
        "versions": versions,
        "query": query,
        "searched": bool(query.strip()) and not query_error,
        "found": found,
        "profile": profile,
        "selected_agency": request.GET.get("agency", ""),
        "selected_procedure": request.GET.get("procedure", ""),
        "errors": errors,
    }
    return render(request, "dossiers/officer/intake_start.html", context, status=400 if errors else 200)


def _applicant_initial(found) -> dict:
    if found is None:
        return {}
    profile = portal_selectors.profile_for_user(user=found)
    return {
        "full_name": (profile.full_name if profile else "") or found.full_name,
        "citizen_id": (profile.citizen_id if profile else "") or "",
        "email": found.email,
        "phone": profile.phone if profile else "",
        "address": ((profile.current_address or profile.permanent_address) if profile else "") or "",
    }


def _raw_answers(form) -> dict:
    """The schema form's answers as typed; the service checks them with the schema."""
    return {name: form[name].data for name in form.fields if form[name].data not in (None, "", [])}


def _scans(request, requirements) -> list[tuple[int, str, bytes]]:
    scans = []
    for requirement in requirements:
        upload = request.FILES.get(f"doc-{requirement.pk}")
        if upload is None:
            continue
        # Never read more than one byte past the limit: the content check then says "too large".
        scans.append((requirement.pk, upload.name, upload.read(requirement.max_size + 1)))
    return scans


def _done(request) -> dict:
    return request.session.get(DONE_SESSION_KEY, {})


@camera_allowed
@login_required
@require_http_methods(["GET", "POST"])
def intake_form(request, procedure_code: str):
    agency_ids = _intake_agency_ids(request)
    version = procedure_selectors.procedure_in_force_by_code(procedure_code)
    if version is None:
        raise Http404
    agencies = [a for a in version.procedure.agencies.all() if a.pk in agency_ids] + [
        c
        for c in procedure_selectors.service_centres_for_procedure(procedure_id=version.procedure_id)
        if c.pk in agency_ids
    ]
    if not agencies:
        # The procedure is not handled at any agency where this officer takes dossiers in.
        raise Http404
    requirements = list(version.documents.all())
    schema = version.form_schema or {"fields": []}
    channels = [
        (value, label)
        for value, label in Channel.choices
        if (value == Channel.COUNTER and version.channel_in_person) or (value == Channel.POST and version.channel_post)
    ]
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        token = request.POST.get("token", "")[:64]
        already = _done(request).get(token)
        if already:
            messages.info(request, _("Hồ sơ này đã được tiếp nhận: %(code)s.") % {"code": already})
            return redirect("dossiers:detail", code=already)
        applicant = {key: request.POST.get(f"applicant_{key}", "") for key in APPLICANT_FIELDS}
        form = procedure_selectors.form_schema_build_form(schema, data=request.POST, prefix="data")
        selected_agency = request.POST.get("agency", "")
        selected_channel = request.POST.get("channel", "")
        note = request.POST.get("note", "")
        try:
            dossier = services.dossier_counter_intake(
                officer=request.user,
                agency_id=selected_agency,
                procedure_code=version.procedure.code,
                channel=selected_channel,
                applicant=applicant,
                form_data=_raw_answers(form),
                documents=_scans(request, requirements),
                note=note,
            )
        except ValidationError as error:
            errors = errors_of(error)
            if any(key.startswith("data") for key in errors):
                form.is_valid()  # the bound form shows its errors beside each field
            status = 400
        else:
            if token:
                done = {**_done(request), token: dossier.code}
                request.session[DONE_SESSION_KEY] = dict(list(done.items())[-DONE_KEEP:])
            messages.success(
                request,
                _(
                    "Đã tiếp nhận hồ sơ %(code)s; giấy tiếp nhận và hẹn trả kết quả (mẫu 01) có trong mục Phiếu. "
                    "Mã PIN tra cứu của người nộp: %(pin)s — hãy ghi lên giấy tiếp nhận, mã chỉ hiện một lần."
                )
                % {"code": dossier.code, "pin": dossier.tracking_pin},
            )
            return redirect("dossiers:detail", code=dossier.code)
    else:
        found, _error = _lookup(request.GET.get("q", "")[:254])
        applicant = _applicant_initial(found)
        profile = portal_selectors.profile_for_user(user=found) if found is not None else None
        initial = procedure_selectors.form_schema_prefill(schema, profile=profile, user=found)
        form = procedure_selectors.form_schema_build_form(schema, initial=initial, prefix="data")
        selected_agency = request.GET.get("agency", "")
        selected_channel = channels[0][0] if channels else ""
        note = ""
    context = {
        "version": version,
        "agencies": agencies,
        "channels": channels,
        "form": form,
        "applicant": applicant,
        "slots": [{"requirement": r, "errors": errors.get(f"documents[{r.pk}]", [])} for r in requirements],
        "selected_agency": str(selected_agency),
        "selected_channel": selected_channel,
        "note": note,
        "errors": errors,
        "applicant_errors": {key: errors.get(f"applicant.{key}", []) for key in APPLICANT_FIELDS},
        "token": secrets.token_urlsafe(16),
    }
    return render(request, "dossiers/officer/intake_form.html", context, status=status)


urlpatterns = [
    path("officer/intake/", intake_start, name="intake_start"),
    path("officer/intake/<str:procedure_code>/", intake_form, name="intake_form"),
]
