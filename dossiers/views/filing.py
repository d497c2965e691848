"""Filing and following a dossier: the wizard, the confirmation, “Hồ sơ của tôi”, the dossier page.

The wizard is four pages over one draft (who applies, the form, the documents, review and
submit); each POST saves the draft and redirects, so the back button and a refresh never
file twice, and a draft can be resumed from the list. The tracking PIN is shown once, on
the confirmation page right after the submission, from the session (never in a URL).
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, register_converter, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dossiers import selectors, services
from dossiers.actions import action_get, available_actions
from dossiers.constants import DossierState, ReturnMethod, SlipKind, StatusCode, event_label
from dossiers.core.notes import event_applicant_note
from dossiers.forms import (
    STATUS_DRAFT,
    ApplicantForm,
    DeclarationForm,
    DocumentsForm,
    DossierFilterForm,
    document_slot_name,
    photo_slot_name,
    store_slot_name,
)
from dossiers.models import Dossier
from dossiers.services import payments as payment_services
from dossiers.services.once_only import CORRECTION_REASON_MAX, field_correctable, national_consent_applies
from dossiers.services.slips import slips_for_viewer
from dossiers.views import applicant as applicant_views
from dossiers.views.common import errors_of
from dossiers.views.payments import dossier_pay_due, dossier_payment_context
from portal import national_data
from portal import selectors as portal_selectors
from portal.security_headers import camera_allowed
from portal.vneid_views import assurance_gate
from procedures import selectors as procedure_selectors

PAGE_SIZE = 20
PIN_SESSION_KEY = "dossiers.pin.%d"
RAW_ANSWER_MAX_LENGTH = 10_000


class DossierCodeConverter:
    """Any stored code (``<unit code>-<YYMMDD>-<NNNN>`` as issued, but also imported or
    generated ones such as ``…-B0000733``), so every list can link every dossier; only the
    words of the other pages under ``/dossiers/`` are not codes."""

    regex = r"[^/]+"
    NOT_CODES = frozenset({"store", "new", "drafts"})

    def to_python(self, value: str) -> str:
        if value in self.NOT_CODES:
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DossierCodeConverter, "dossier_code")

# Vietnamese names of the events of the timeline; an unknown action falls back to its new state.
# --- helpers ----------------------------------------------------------------------------


# Sent by static/js/offline-drafts.js with the answers it kept while offline: answered in JSON.
OFFLINE_DRAFT_HEADER = "X-Offline-Draft"


def _draft_or_404(request, pk: int) -> Dossier:
    """The user's own draft; a submitted one is sent to its page by the caller."""
    dossier = (
        Dossier.objects.select_related("procedure", "procedure_version", "receiving_agency", "organisation")
        .filter(pk=pk, applicant=request.user)
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def _submitted_redirect(dossier: Dossier):
    return redirect("dossiers:detail", code=dossier.code)


def _form_initial(schema: dict, data: dict) -> dict:
    """Draft answers as the schema form's initial values (yes/no radios take "true"/"false")."""
    initial = dict(data or {})
    for spec in schema.get("fields", []):
        value = initial.get(spec["name"])
        if spec["type"] == "yes_no" and isinstance(value, bool):
            initial[spec["name"]] = "true" if value else "false"
    return initial


def _raw_answers(form) -> dict:
    """What the user typed, as JSON values: kept in the draft even when it does not validate yet."""
    raw = {}
    for name in form.fields:
        value = form[name].data
        if isinstance(value, dict):  # a date typed as day / month / year: kept as ISO text
            value = procedure_selectors.form_schema_date_parts_iso(value)
        if value in (None, "", []):
            continue
        # An invalid answer is kept as typed, within reason: the form's limits are far below this.
        raw[name] = value[:RAW_ANSWER_MAX_LENGTH] if isinstance(value, str) else value
    return raw


def _display_value(spec: dict, value):
    if value in (None, "", []):
        return ""
    kind = spec["type"]
    if kind == "choice":
        return next((c["label"] for c in spec.get("choices", []) if c["value"] == value), value)
    if kind == "multiple_choice" and isinstance(value, list):
        labels = {c["value"]: c["label"] for c in spec.get("choices", [])}
        return ", ".join(labels.get(v, v) for v in value)
    if kind == "yes_no":
        truthy = value is True or str(value).lower() in ("true", "1")
        return _("Có") if truthy else _("Không")
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if kind == "group" and isinstance(value, list):
        subfields = spec.get("fields", [])
        return [
            [(sub["label"], _display_value(sub, row.get(sub["name"]))) for sub in subfields]
            for row in value
            if isinstance(row, dict)
        ]
    return value


def form_answers(schema: dict, data: dict, sources: dict | None = None, corrections: dict | None = None) -> list[dict]:
    """The answers with their labels (the national database an answer came from, and the
    applicant's correction of it with the reason), for the review page and the dossier page."""
    answers = []
    for spec in (schema or {}).get("fields", []):
        value = _display_value(spec, (data or {}).get(spec["name"]))
        source = (sources or {}).get(spec["name"])
        correction = (corrections or {}).get(spec["name"]) if source else None
        answers.append(
            {
                "name": spec["name"],
                "label": spec["label"],
                "value": value,
                "is_group": spec["type"] == "group",
                "missing": spec.get("required") and value in ("", []),
                "source_label": national_data.SOURCE_LABELS.get(source, "") if source else "",
                "correction": (
                    {
                        "original": _display_value(spec, correction.get("original")),
                        "reason": correction.get("reason", ""),
                    }
                    if isinstance(correction, dict)
                    else None
                ),
            }
        )
    return answers


REASON_FIELD = "_reason_%s"  # never a schema field's name: those begin with a letter


def _mark_national(form, dossier: Dossier) -> None:
    """Answers from a national database: marked with their source; read-only, or — where the
    form allows a correction — followed by the field for its reason."""
    schema = dossier.procedure_version.form_schema or {}
    corrections = dossier.form_corrections or {}
    fields = {}
    for name, field in form.fields.items():
        fields[name] = field
        source = (dossier.form_sources or {}).get(name)
        if source is None:
            continue
        label = national_data.SOURCE_LABELS.get(source, source)
        if not field_correctable(schema, name):
            field.widget.attrs.update({"readonly": True, "class": "national-source-field"})
            field.help_text = _("Lấy từ %(source)s; không sửa được.") % {"source": label}
            continue
        field.widget.attrs.update({"class": "national-source-field national-correctable"})
        correction = corrections.get(name) or {}
        field.help_text = _("Lấy từ %(source)s. Nếu thông tin chưa đúng, bạn có thể sửa và nêu lý do bên dưới.") % {
            "source": label
        }
        reason = forms.CharField(
            label=_("Lý do sửa “%(label)s”") % {"label": field.label},
            required=False,
            max_length=CORRECTION_REASON_MAX,
            initial=correction.get("reason", ""),
            help_text=(
                _("Giá trị trong %(source)s: %(original)s") % {"source": label, "original": correction["original"]}
                if "original" in correction
                else _("Chỉ cần điền khi bạn sửa thông tin lấy từ %(source)s.") % {"source": label}
            ),
        )
        fields[REASON_FIELD % name] = reason
    form.fields = fields


def _posted_reasons(request, dossier: Dossier) -> dict:
    return {name: request.POST.get(f"data-{REASON_FIELD % name}", "") for name in dossier.form_sources or {}}


def next_action(dossier: Dossier, user) -> dict | None:
    """What the applicant is expected to do now (label and link), from the row alone (no query)."""
    if dossier.state == DossierState.DRAFT:
        if dossier.applicant_id == user.pk:
            return {"label": _("Tiếp tục khai"), "url": reverse("dossiers:draft_form", args=[dossier.pk])}
        return None
    if dossier.state == DossierState.SUPPLEMENT_REQUESTED:
        return {"label": _("Bổ sung hồ sơ"), "url": f"/dossiers/{dossier.code}/supplement/"}
    if dossier.state == DossierState.PAYMENT_REQUESTED:
        return {
            "label": _("Thực hiện nghĩa vụ tài chính"),
            "url": reverse("dossiers:detail", args=[dossier.code]) + "#dossier-fees",
        }
    if dossier.state == DossierState.RETURNED and not dossier.rating:
        return {"label": _("Đánh giá"), "url": f"/dossiers/{dossier.code}/rate/"}
    return None


WIZARD_STEPS = [
    ("applicant", gettext_lazy("Người nộp")),
    ("form", gettext_lazy("Tờ khai")),
    ("documents", gettext_lazy("Giấy tờ")),
    ("review", gettext_lazy("Xem lại và nộp")),
]


def _wizard_context(dossier: Dossier | None, step: str, **extra) -> dict:
    return {"dossier": dossier, "steps": WIZARD_STEPS, "step": step, **extra}


# --- the wizard -----------------------------------------------------------------------------


def _choice_already_made(request, form: ApplicantForm, version, drafts) -> bool:
    """Step 1 asks nothing when the citizen files for themself only (no organisation may apply,
    or they belong to none), at the procedure's only agency, with no consent question for the
    national population database and no unfinished draft of this procedure to resume instead."""
    choices = form.fields["on_behalf_of"].choices
    return (
        len(choices) == 1
        and choices[0][0] == ""
        and len(form.fields["agency"].choices) <= 1
        and not drafts
        and "national_consent" not in form.fields
    )


@login_required
@require_http_methods(["GET", "POST"])
def dossier_new(request, procedure_code: str):
    """Step 1: who applies (myself or one of my organisations) and, when several, where."""
    version = procedure_selectors.procedure_in_force_by_code(procedure_code)
    if version is None:
        raise Http404
    if (step_up := assurance_gate(request, required=version.required_assurance)) is not None:
        return step_up
    context = {
        "version": version,
        "procedure": version.procedure,
        "dossier": None,
        "steps": WIZARD_STEPS,
        "step": "applicant",
    }
    if not version.accepts_online:
        context["refusal"] = _("Thủ tục này không tiếp nhận hồ sơ trực tuyến.")
        return render(request, "dossiers/filing/applicant.html", context)
    organisations = list(portal_selectors.organisations_for_user(user=request.user))
    form = ApplicantForm(
        request.POST if request.method == "POST" else None, version=version, organisations=organisations
    )
    if not national_consent_applies(user=request.user, version=version):
        # No consent question the filing would not use (issue 19): no source, no ID, no field it answers.
        del form.fields["national_consent"]
    context["form"] = form
    context["drafts"] = (
        Dossier.objects.filter(applicant=request.user, state=DossierState.DRAFT, procedure=version.procedure)
        .select_related("organisation")
        .order_by("-updated_at")[:5]
    )
    if not form.has_choices:
        context["refusal"] = _(
            "Thủ tục này chỉ dành cho tổ chức, doanh nghiệp. Hãy đăng ký tổ chức của bạn hoặc đề nghị "
            "tổ chức mời bạn làm thành viên để nộp hồ sơ."
        )
        return render(request, "dossiers/filing/applicant.html", context)
    if request.method == "GET" and _choice_already_made(request, form, version, context["drafts"]):
        # No page for a choice already made (issue 19): the one applicant, the one agency.
        try:
            dossier = services.dossier_draft_create(
                user=request.user,
                procedure_code=procedure_code,
                organisation_id=None,
                agency_code=form.fields["agency"].initial or None,
                national_consent=False,
            )
        except (PermissionDenied, ValidationError):
            pass  # the page says why when its form is posted
        else:
            return redirect("dossiers:draft_form", pk=dossier.pk)
    if request.method == "POST" and form.is_valid():
        try:
            dossier = services.dossier_draft_create(
                user=request.user,
                procedure_code=procedure_code,
                organisation_id=form.cleaned_data["on_behalf_of"],
                agency_code=form.cleaned_data["agency"] or None,
                national_consent=form.cleaned_data.get("national_consent", False),
            )
        except PermissionDenied as error:
            form.add_error("on_behalf_of", str(error))
        except ValidationError as error:
            for field, errs in errors_of(error).items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            return redirect("dossiers:draft_form", pk=dossier.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "dossiers/filing/applicant.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def draft_form(request, pk: int):
    """Step 2: the procedure's form, prefilled from the profile or organisation (once-only).

    A long form whose schema gives its fields ``page`` titles is asked a page at a time
    (``?page=N``), each page checked on its own and saved to the draft before the next one;
    ``&return=review`` (the "Sửa" links of the review step) goes back to the review after
    saving. The whole form is checked again at submission."""
    dossier = _draft_or_404(request, pk)
    offline_sync = request.method == "POST" and request.headers.get(OFFLINE_DRAFT_HEADER) == "1"
    if dossier.state != DossierState.DRAFT:
        if offline_sync:  # submitted since the answers were kept: they are not for it any more
            message = _("Hồ sơ đã được nộp; câu trả lời giữ trên máy không còn được lưu vào bản nháp.")
            return JsonResponse({"saved": False, "code": "not_draft", "detail": message}, status=409)
        return _submitted_redirect(dossier)
    schema = dossier.procedure_version.form_schema or {"fields": []}
    pages = procedure_selectors.form_schema_pages(schema)
    number = request.GET.get("page", "1")
    number = min(max(int(number), 1), len(pages)) if number.isdigit() else 1
    page_schema = {"fields": pages[number - 1]["fields"]}
    page_names = {spec["name"] for spec in page_schema["fields"]}
    back_to_review = request.GET.get("return") == "review"

    def page_url(n: int) -> str:
        url = reverse("dossiers:draft_form", args=[dossier.pk])
        return f"{url}?page={n}" if len(pages) > 1 else url

    status = 200
    if request.method == "POST":
        form = procedure_selectors.form_schema_build_form(page_schema, data=request.POST, prefix="data")
        raw = _raw_answers(form)
        try:
            cleaned = procedure_selectors.form_schema_validate_data(page_schema, raw)
        except ValidationError:
            cleaned = None
            form.is_valid()  # the bound form shows every error beside its field
        answers = dict(cleaned if cleaned is not None else raw)
        for name in dossier.form_sources or {}:
            if name in page_names and f"data-{name}" not in request.POST:
                answers.pop(name, None)  # not sent at all: what the database said stands
        # The other pages' answers stay as saved.
        answers = {**{k: v for k, v in (dossier.form_data or {}).items() if k not in page_names}, **answers}
        try:
            # A national answer changed where the form does not allow it, or without a reason,
            # is refused here, by the service: nothing of the post is saved.
            services.dossier_draft_update(
                user=request.user,
                dossier=dossier,
                data=answers,
                reasons=_posted_reasons(request, dossier),
                # Only answers kept on a phone while offline are checked against the saved draft:
                # a page of the form posted in the ordinary way is the person's latest word.
                expected_version=request.POST.get("draft_version", "") if offline_sync else None,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == services.DRAFT_CHANGED:
                return _draft_changed(error)
            if offline_sync:
                return JsonResponse({"saved": False, "errors": errors_of(error)}, status=400)
            _mark_national(form, dossier)
            for key, field_errors in errors_of(error).items():
                name = key.removeprefix("data.")
                form.add_error(name if name in form.fields else None, field_errors)
            context = _form_context(dossier, form, pages, number, page_url)
            return render(request, "dossiers/filing/form.html", context, status=400)
        if offline_sync:  # answers kept on the phone while offline, sent back (offline-drafts.js)
            return JsonResponse({"saved": True, "draft_version": services.draft_version(dossier)})
        if request.POST.get("action") == "save":
            messages.success(request, _("Đã lưu bản nháp."))
            return redirect(_back_to_review(page_url(number)) if back_to_review else page_url(number))
        if cleaned is not None:
            if back_to_review:
                return redirect("dossiers:draft_review", pk=dossier.pk)
            if number < len(pages):
                return redirect(page_url(number + 1))
            return redirect("dossiers:draft_documents", pk=dossier.pk)
        status = 400
    else:
        form = procedure_selectors.form_schema_build_form(
            page_schema, initial=_form_initial(page_schema, dossier.form_data), prefix="data"
        )
    _mark_national(form, dossier)
    context = _form_context(dossier, form, pages, number, page_url)
    return render(request, "dossiers/filing/form.html", context, status=status)


def _draft_changed(error: ValidationError):
    """Answers kept on a phone, typed on a draft saved since: nothing saved (JSON for the script)."""
    return JsonResponse({"saved": False, "code": services.DRAFT_CHANGED, "detail": error.messages[0]}, status=409)


def _back_to_review(url: str) -> str:
    """``url`` (a page of the form step) returning to the review step once saved."""
    return url + ("&" if "?" in url else "?") + "return=review"


def _form_context(dossier: Dossier, form, pages: list[dict], number: int, page_url) -> dict:
    return _wizard_context(
        dossier,
        "form",
        form=form,
        lookups=list(dossier.national_lookups.all()),
        pages=[{"number": n, "title": p["title"], "url": page_url(n)} for n, p in enumerate(pages, 1)],
        page_number=number,
        page_title=pages[number - 1]["title"],
        previous_page_url=page_url(number - 1) if number > 1 else "",
        draft_version=services.draft_version(dossier),
    )


@camera_allowed
@login_required
@require_http_methods(["GET", "POST"])
def draft_documents(request, pk: int):
    """Step 3: one upload slot per document component, or a document from the store."""
    dossier = _draft_or_404(request, pk)
    if dossier.state != DossierState.DRAFT:
        return _submitted_redirect(dossier)
    every = list(dossier.procedure_version.documents.all())
    # The declaration made on the online form is not asked for again: the portal makes its PDF.
    requirements = [r for r in every if not r.from_form]
    from_form = [r for r in every if r.from_form]
    stored = selectors.stored_documents_for_user(user=request.user)
    if dossier.organisation_id is None:
        stored = stored.filter(organisation__isnull=True)
    else:
        stored = stored.filter(Q(organisation=dossier.organisation) | Q(owner=request.user))
    stored = stored[:200]
    bound = request.method == "POST"
    form = DocumentsForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        requirements=requirements,
        stored_documents=stored,
    )
    status = 200
    if request.method == "POST":
        remove = request.POST.get("remove")
        if remove and remove.isdigit():
            services.dossier_document_remove(user=request.user, dossier=dossier, document_id=int(remove))
            messages.info(request, _("Đã gỡ giấy tờ khỏi hồ sơ."))
            return redirect("dossiers:draft_documents", pk=dossier.pk)
        form.is_valid()
        for requirement in requirements:
            slot = document_slot_name(requirement.pk)
            photo_slot = photo_slot_name(requirement.pk)
            if slot in form.errors or photo_slot in form.errors:
                continue
            upload = form.cleaned_data.get(slot)
            photos = form.cleaned_data.get(photo_slot) or []
            store_id = form.cleaned_data.get(store_slot_name(requirement.pk))
            try:
                if upload is not None:
                    services.dossier_document_upload(
                        user=request.user,
                        dossier=dossier,
                        requirement_id=requirement.pk,
                        name=upload.name,
                        content=upload.read(),
                    )
                elif photos:
                    slot = photo_slot  # the messages go beside the camera input
                    services.dossier_document_photos_upload(
                        user=request.user,
                        dossier=dossier,
                        requirement_id=requirement.pk,
                        photos=[(photo.name, photo.read()) for photo in photos],
                    )
                elif store_id:
                    services.dossier_document_from_store(
                        user=request.user, dossier=dossier, requirement_id=requirement.pk, stored_id=int(store_id)
                    )
            except ValidationError as error:
                for slot_messages in errors_of(error).values():
                    form.add_error(slot, slot_messages)
        # Touch the draft, so that the 30-day purge counts from the last upload too.
        services.dossier_draft_touch(user=request.user, dossier=dossier)
        if not form.errors:
            if request.POST.get("action") != "next":
                messages.success(request, _("Đã lưu giấy tờ vào bản nháp."))
                return redirect("dossiers:draft_documents", pk=dossier.pk)
            missing = services.missing_requirements(dossier)
            if not missing:
                return redirect("dossiers:draft_review", pk=dossier.pk)
            for requirement in missing:
                form.add_error(
                    document_slot_name(requirement.pk),
                    _("Thiếu giấy tờ bắt buộc: %(name)s.") % {"name": requirement.name},
                )
        status = 400
    current = {d.requirement_id: d for d in selectors.dossier_documents(dossier=dossier)}
    slots = [{**slot, "current": current.get(slot["requirement"].pk)} for slot in form.slots()]
    context = _wizard_context(dossier, "documents", form=form, slots=slots, from_form=from_form)
    return render(request, "dossiers/filing/documents.html", context, status=status)


def _delivery_initial(request, dossier: Dossier) -> dict:
    """The delivery choice to show: as just posted, else as saved, else online."""
    keys = ("method", "recipient", "phone", "address")
    if request.method == "POST":
        return {k: request.POST.get(f"delivery_{k}", "") for k in keys}
    saved = selectors.dossier_delivery(dossier=dossier)
    if saved is None:
        return {"method": ReturnMethod.ONLINE, "recipient": "", "phone": "", "address": ""}
    return {k: getattr(saved, k) for k in keys}


@login_required
@require_http_methods(["GET", "POST"])
def draft_review(request, pk: int):
    """Step 4: everything on one page, the declaration, and the submission."""
    dossier = _draft_or_404(request, pk)
    if dossier.state != DossierState.DRAFT:
        # A second click or a repeated POST: the first one filed it; show its confirmation.
        if request.method == "POST":
            return redirect("dossiers:submitted", code=dossier.code)
        return _submitted_redirect(dossier)
    if (step_up := assurance_gate(request, required=dossier.procedure_version.required_assurance)) is not None:
        return step_up
    declaration = DeclarationForm(request.POST if request.method == "POST" else None)
    errors: dict[str, list[str]] = {}
    status = 200

    if request.method == "POST":
        declaration.is_valid()
        try:
            if request.POST.get("delivery_method"):
                payment_services.dossier_delivery_set(
                    user=request.user,
                    dossier=dossier,
                    method=request.POST["delivery_method"],
                    recipient=request.POST.get("delivery_recipient", ""),
                    phone=request.POST.get("delivery_phone", ""),
                    address=request.POST.get("delivery_address", ""),
                )
            dossier, pin = services.dossier_submit(
                user=request.user,
                dossier_id=dossier.pk,
                declaration=bool(declaration.cleaned_data.get("declaration")),
            )
        except PermissionDenied as error:
            errors = {"__all__": [str(error)]}
            status = 400
        except ValidationError as error:
            errors = errors_of(error)
            if not declaration.cleaned_data.get("declaration"):
                # The delivery was refused before the submission checked the rest: the summary
                # still lists the missing declaration, so it is not found one error at a time.
                errors.setdefault("declaration", [_("Bạn cần xác nhận lời cam đoan trước khi nộp hồ sơ.")])
            status = 400
        else:
            if pin is not None:
                request.session[PIN_SESSION_KEY % dossier.pk] = pin
            return redirect("dossiers:submitted", code=dossier.code)
    schema = dossier.procedure_version.form_schema or {"fields": []}
    labels = {f["name"]: f["label"] for f in schema.get("fields", [])}
    form_pages = procedure_selectors.form_schema_pages(schema)
    form_url = reverse("dossiers:draft_form", args=[dossier.pk])
    page_urls = [f"{form_url}?page={n}" if len(form_pages) > 1 else form_url for n in range(1, len(form_pages) + 1)]
    # A form error's "Sửa" opens the page that asks for the field.
    page_of = {spec["name"]: page_urls[n] for n, page in enumerate(form_pages) for spec in page["fields"]}
    requirements = {r.pk: r.name for r in dossier.procedure_version.documents.all()}
    documents_url = reverse("dossiers:draft_documents", args=[dossier.pk])
    # The error summary (GOV.UK): each error a link to what to fix, on this page or on the step
    # that asks for it (the form field, the document's upload input).
    error_list = []
    for key, msgs in errors.items():
        if key == "declaration":
            prefix, href = "", "#id_declaration"
        elif key == "delivery_method":
            prefix, href = _("Hình thức nhận kết quả"), f"#delivery_{ReturnMethod.choices[0][0]}"
        elif key.startswith("delivery_"):
            prefix, href = _("Hình thức nhận kết quả"), f"#id_{key}"
        elif key.startswith("data."):
            name = key.removeprefix("data.").split(".", 1)[0].split("[", 1)[0]
            prefix = labels.get(key.removeprefix("data."), key)
            href = _back_to_review(page_of.get(name, form_url)) + f"#id_data-{name}"
        elif key == "data":
            prefix, href = "", _back_to_review(form_url)
        elif key.startswith("documents["):
            prefix, href = "", f"{documents_url}#id_{key}"
            try:
                prefix = requirements.get(int(key.removeprefix("documents[").rstrip("]")), "")
            except ValueError:
                href = documents_url
        elif key == "documents":
            prefix, href = "", documents_url
        else:
            prefix, href = "", ""
        error_list += [
            {"field": prefix if prefix and prefix not in str(m) else "", "message": m, "href": href} for m in msgs
        ]
    context = _wizard_context(
        dossier,
        "review",
        answers=form_answers(schema, dossier.form_data, dossier.form_sources, dossier.form_corrections),
        documents=selectors.dossier_documents(dossier=dossier),
        from_form=[r for r in dossier.procedure_version.documents.all() if r.from_form],
        missing=services.missing_requirements(dossier),
        declaration=declaration,
        declaration_errors=errors.get("declaration", []),
        # Each delivery error beside its input (and named by its aria-describedby).
        delivery_errors={
            key.removeprefix("delivery_"): msgs for key, msgs in errors.items() if key.startswith("delivery_")
        },
        errors=error_list,
        form_pages=[{"title": p["title"], "url": u} for p, u in zip(form_pages, page_urls, strict=True)],
        fees=payment_services.dossier_fees(dossier=dossier),
        delivery=_delivery_initial(request, dossier),
        delivery_methods=ReturnMethod.choices,
    )
    return render(request, "dossiers/filing/review.html", context, status=status)


@never_cache
@login_required
@require_GET
def dossier_submitted(request, code: str):
    """The confirmation: the code, and the PIN this one time (it is removed from the session)."""
    dossier = selectors.dossier_get_for_user(user=request.user, code=code)
    if dossier is None or not selectors.dossier_applicant_can_view(user=request.user, dossier=dossier):
        raise Http404
    pin = request.session.pop(PIN_SESSION_KEY % dossier.pk, None)
    acknowledgement = next(
        (
            s
            for s in slips_for_viewer(user=request.user, dossier=dossier)
            if s.kind == SlipKind.ACKNOWLEDGEMENT and not s.awaiting_seal
        ),
        None,
    )
    context = {
        "dossier": dossier,
        "pin": pin,
        "acknowledgement": acknowledgement,
        "tracking_url": f"{reverse('dossiers:track')}?code={dossier.code}",
        "pay_due": dossier_pay_due(dossier=dossier),
        "expected_due": selectors.dossier_expected_due(dossier=dossier),
    }
    return render(request, "dossiers/filing/submitted.html", context)


# --- following ------------------------------------------------------------------------------


def _procedure_choices(dossiers) -> list[tuple[str, str]]:
    rows = dossiers.order_by().values_list("procedure__code", "procedure__name").distinct()
    return sorted(((c, f"{c} — {n}") for c, n in rows), key=lambda item: item[0])


@login_required
@require_GET
def dossier_list(request):
    """“Hồ sơ của tôi”: the user's dossiers and those of its organisations, with filters."""
    user = request.user
    dossiers = selectors.dossiers_for_applicant(user=user).filter(~Q(state=DossierState.DRAFT) | Q(applicant=user))
    form = DossierFilterForm(request.GET or None, procedures=_procedure_choices(dossiers))
    status = form.value("status")
    if status == STATUS_DRAFT:
        dossiers = dossiers.filter(state=DossierState.DRAFT)
    elif status and status.isdigit() and int(status) in StatusCode.values:
        dossiers = dossiers.filter(status_code=int(status))
    if procedure := form.value("procedure"):
        dossiers = dossiers.filter(procedure__code=procedure)
    if low := form.value("submitted_from"):
        dossiers = dossiers.filter(submitted_at__date__gte=low)
    if high := form.value("submitted_to"):
        dossiers = dossiers.filter(submitted_at__date__lte=high)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"dossier": d, "action": next_action(d, user)} for d in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "querystring": query.urlencode(),
        "now": timezone.now(),
    }
    return render(request, "dossiers/dossier_list.html", context)


# Events only the applicant's side writes (the applicant or a member of its organisation).
APPLICANT_ACTIONS = frozenset({"submit", "supplement_submitted", "withdraw_requested", "rated"})


def received_out_of_hours(dossier: Dossier, events) -> dt.datetime | None:
    """When an online dossier was received outside working hours, the moment it really was:
    its time then counts from the next working period (``received_at``), which the page explains."""
    received = next((e for e in reversed(events) if e.action == "receive"), None)
    if received is None or dossier.received_at is None:
        return None
    return received.created_at if dossier.received_at - received.created_at > dt.timedelta(minutes=1) else None


def _actor_label(event, dossier: Dossier, *, as_applicant: bool) -> str:
    if (event.actor_id and event.actor_id == dossier.applicant_id) or event.action in APPLICANT_ACTIONS:
        return _("Người nộp hồ sơ")
    if as_applicant:
        return dossier.receiving_agency.name
    return event.actor_label


@login_required
@require_GET
def dossier_detail(request, code: str):
    """The dossier page: status, what is expected now, the timeline, documents and slips."""
    dossier = selectors.dossier_get_for_user(user=request.user, code=code)
    if dossier is None:
        raise Http404
    as_applicant = selectors.dossier_applicant_can_view(user=request.user, dossier=dossier)
    events = list(selectors.dossier_timeline(dossier=dossier))
    timeline = [
        {
            "event": event,
            "label": event_label(event),
            "actor": _actor_label(event, dossier, as_applicant=as_applicant),
            # The applicant's page: what the applicant is told, never an officer's internal note.
            "note": event_applicant_note(event),
            "state": DossierState(event.to_state).label if event.to_state in DossierState.values else "",
        }
        for event in events
    ]
    schema = dossier.procedure_version.form_schema or {"fields": []}
    actions = []
    if as_applicant:
        urls = {
            "supplement": f"/dossiers/{dossier.code}/supplement/",
            "withdraw": f"/dossiers/{dossier.code}/withdraw/",
            "rate": f"/dossiers/{dossier.code}/rate/",
        }
        for name in available_actions(user=request.user, dossier=dossier):
            action = action_get(name)
            if name in urls and action is not None:
                actions.append({"name": name, "label": action.label, "url": urls[name]})
    context = {
        "dossier": dossier,
        "as_applicant": as_applicant,
        "expected": next_action(dossier, request.user) if as_applicant else None,
        "actions": actions,
        "timeline": timeline,
        "documents": selectors.dossier_documents(dossier=dossier),
        "slips": slips_for_viewer(user=request.user, dossier=dossier),
        "results": applicant_views.published_results(user=request.user, dossier=dossier) if as_applicant else [],
        "answers": form_answers(schema, dossier.form_data, dossier.form_sources, dossier.form_corrections),
        "now": timezone.now(),
        "received_out_of_hours": received_out_of_hours(dossier, events),
    }

    context.update(dossier_payment_context(user=request.user, dossier=dossier, as_applicant=as_applicant))
    return render(request, "dossiers/dossier_detail.html", context)


urlpatterns = [
    path("dossiers/", dossier_list, name="mine"),
    path("dossiers/new/<str:procedure_code>/", dossier_new, name="new"),
    path("dossiers/drafts/<int:pk>/form/", draft_form, name="draft_form"),
    path("dossiers/drafts/<int:pk>/documents/", draft_documents, name="draft_documents"),
    path("dossiers/drafts/<int:pk>/review/", draft_review, name="draft_review"),
    path("dossiers/<dossier_code:code>/", dossier_detail, name="detail"),
    path("dossiers/<dossier_code:code>/submitted/", dossier_submitted, name="submitted"),
]
