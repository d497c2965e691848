"""The officer's dossier page (hồ sơ — trang của cán bộ): everything about one dossier, and its actions.

An officer of the receiving agency sees the summary, what the applicant declared (the form's
answers with their labels and sections, ``selectors.dossier_answers``), the documents with
their previews (page images made in the pdf queue), the processing steps (form 05's rows),
consultations, results, slips and the timeline; an officer of an agency whose opinion was
asked (liên thông) only its questions and the documents sent with them; anyone else gets 404. Below, one form per action the officer may take now,
built from the action's ``fields`` in the registry (`dossiers.actions`). Each form posts to
its own URL, which calls ``action.perform`` — the same door as the API — and redirects back
(POST-redirect-GET). Refused input comes back on the page with status 400 and the Vietnamese
messages next to the fields; an action the dossier's state no longer allows (another officer
was faster) is reported as a message after the redirect; an action the officer may not take
is 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dossiers import selectors, services
from dossiers.actions import action_field_choices, action_get, offered_actions
from dossiers.constants import DossierState, Timeliness, event_label
from dossiers.core.machine import OFFICER
from dossiers.core.notes import APPLICANT_EVENT_ACTIONS, event_applicant_note, event_internal_note
from dossiers.models import Dossier
from dossiers.views.common import errors_of
from dossiers.views.files import preview_status
from signing.selectors import upload_verifications

TEXT_ROWS = {"note": 2}
WIDGET_HELP = {
    "new_due_at": gettext_lazy("Chỉ được hẹn lại một lần."),
    "agency": gettext_lazy("Gõ tên hoặc mã cơ quan để lọc danh sách."),
}


def _dossier_for_officer(request, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=request.user, code=code[:48], consulted=True)
    if dossier is None or not selectors.dossier_officer_can_view(user=request.user, dossier=dossier):
        raise Http404
    return dossier


def _officer_action(name: str):
    """The registered officer action ``name`` (a workflow transition with a service), else 404."""
    action = action_get(name)
    if action is None or action.performer != OFFICER:
        raise Http404
    return action


def _field_widget(field: dict, *, dossier: Dossier, user, data, errors: dict, lookups: dict) -> dict:
    """What the template needs to draw one field of an action's form."""
    name, kind = field["name"], field.get("type", "text")
    widget = {
        "name": name,
        "type": kind,
        "label": field.get("label") or name,
        "required": bool(field.get("required")),
        "value": data.get(name, "") if data is not None else "",
        "errors": errors.get(name, []),
        "help": WIDGET_HELP.get(name, ""),
        "rows": TEXT_ROWS.get(name, 3),
        "options": [],
        "to_applicant": bool(field.get("to_applicant")),
    }
    choices = action_field_choices(field, user=user, dossier=dossier, lookups=lookups)
    if choices is not None:
        # The same list the API gives and the service accepts (``dossiers.selectors``).
        widget["options"] = [(c["value"], c["label"]) for c in choices]
    elif kind == "documents":
        # The documents a consultation may share: the dossier's current ones (none ticked: all).
        widget["value"] = data.getlist(name) if hasattr(data, "getlist") else []
        widget["options"] = [
            (str(d.pk), f"{d.component_name}: {d.stored.name}") for d in selectors.dossier_documents(dossier=dossier)
        ]
    elif name == "consultation":
        # The consultations sent to the officer's agencies, rather than a bare number.
        widget["type"] = "consultation"
        widget["options"] = [
            (str(c.pk), c.question) for c in selectors.consultations_open_for_officer(user=user, dossier=dossier)
        ]
    return widget


def _action_forms(*, user, dossier: Dossier, failed: str = "", data=None, errors: dict | None = None) -> list[dict]:
    lookups: dict = {}
    forms = []
    for action in offered_actions(user=user, dossier=dossier):
        if action.performer != OFFICER:
            continue
        mine = action.name == failed
        fields = [
            _field_widget(
                f,
                dossier=dossier,
                user=user,
                data=data if mine else None,
                errors=(errors or {}) if mine else {},
                lookups=lookups,
            )
            for f in action.fields
        ]
        # Errors of a field drawn here sit next to it; the others (a list, "__all__") above the form.
        known = {f["name"] for f in fields if f["type"] != "list"}
        forms.append(
            {
                "name": action.name,
                "label": action.label,
                "tone": action.tone,
                "url": reverse("dossiers:officer_dossier_action", args=[dossier.code, action.name]),
                "fields": fields,
                "multipart": any(f["type"] == "file" for f in fields),
                # A list of supplement items is drawn on the reception's own page, one reason per item.
                "link": (
                    reverse("dossiers:reception_request_supplement", args=[dossier.code])
                    if any(f["type"] == "list" for f in fields)
                    else ""
                ),
                "errors": [m for key, ms in (errors or {}).items() if key not in known for m in ms] if mine else [],
                "failed": mine,
            }
        )
    return forms


def _page(request, dossier: Dossier, *, failed: str = "", data=None, errors: dict | None = None, status: int = 200):
    forms = _action_forms(user=request.user, dossier=dossier, failed=failed, data=data, errors=errors)
    if selectors.dossier_consulted_only(user=request.user, dossier=dossier):
        # A consulted agency (liên thông): the questions sent to it and the documents shared with them.
        context = {
            "dossier": dossier,
            "consulted_only": True,
            "documents": _with_previews(
                _with_signature_verdicts(selectors.dossier_documents_for_viewer(user=request.user, dossier=dossier))
            ),
            "consultations": selectors.dossier_consultations_for_officer(user=request.user, dossier=dossier),
            "forms": forms,
            "now": timezone.now(),
        }
        return render(request, "dossiers/officer/consultation.html", context, status=status)
    steps = [
        {
            "step": step,
            "timeliness": Timeliness(step.timeliness).label if step.timeliness else "",
            "timeliness_key": step.timeliness,
        }
        for step in selectors.dossier_steps(dossier=dossier)
    ]
    timeline = [
        {
            "event": event,
            "label": event_label(event),
            "state": DossierState(event.to_state).label if event.to_state in DossierState.values else "",
            # Both, told apart: what the applicant was told, and the officers' internal note.
            "public_note": event_applicant_note(event),
            "internal_note": event_internal_note(event),
            "from_applicant": event.action in APPLICANT_EVENT_ACTIONS,
        }
        for event in selectors.dossier_timeline(dossier=dossier)
    ]
    context = {
        "dossier": dossier,
        "steps": steps,
        "timeline": timeline,
        "documents": _with_previews(_with_signature_verdicts(selectors.dossier_documents(dossier=dossier))),
        # What the applicant declared, with the form's labels and sections (not for a consulted agency).
        "answers": selectors.dossier_answers(dossier=dossier),
        "consultations": selectors.dossier_consultations(dossier=dossier),
        "results": selectors.dossier_results(dossier=dossier),
        "slips": selectors.dossier_slips(dossier=dossier),
        "forms": forms,
        "now": timezone.now(),
    }
    return render(request, "dossiers/officer/dossier.html", context, status=status)


def _with_signature_verdicts(documents) -> list:
    """The documents, each with ``signature_verification`` (None unless it was uploaded signed)."""
    documents = list(documents)
    verdicts = upload_verifications(stored_document_ids=[d.stored_id for d in documents])
    for document in documents:
        document.signature_verification = verdicts.get(document.stored_id)
    return documents


def _with_previews(documents: list) -> list:
    """The documents, each with ``preview`` (its state and page URLs; None when it cannot be
    previewed); those with no page images yet are queued for rendering."""
    previews = services.document_previews_request(stored_documents=[d.stored for d in documents])
    for document in documents:
        row = previews.get(document.stored_id)
        document.preview = preview_status(stored=document.stored, preview=row) if row is not None else None
    return documents


@login_required
@require_GET
def officer_dossier(request, code: str):
    dossier = _dossier_for_officer(request, code)
    return _page(request, dossier)


@login_required
@require_POST
def officer_dossier_action(request, code: str, name: str):
    dossier = _dossier_for_officer(request, code)
    action = _officer_action(name)
    page = reverse("dossiers:officer_dossier", args=[dossier.code])
    # PermissionDenied (a role or agency that may not take the action) propagates: 403.
    try:
        action.perform(user=request.user, dossier=dossier, params=request.POST, files=request.FILES)
    except ValidationError as error:
        if getattr(error, "code", None) == "invalid_state":
            # The state moved on (another officer was faster): say so on the fresh page.
            messages.error(request, " ".join(error.messages))
            return redirect(page)
        return _page(request, dossier, failed=name, data=request.POST, errors=errors_of(error), status=400)
    messages.success(
        request, _("Đã thực hiện “%(action)s” đối với hồ sơ %(code)s.") % {"action": action.label, "code": dossier.code}
    )
    return redirect(page)


urlpatterns = [
    path("officer/dossiers/<str:code>/", officer_dossier, name="officer_dossier"),
    path("officer/dossiers/<str:code>/actions/<str:name>/", officer_dossier_action, name="officer_dossier_action"),
]
