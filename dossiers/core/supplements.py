"""The officer's latest supplement request (yêu cầu bổ sung) of a dossier, read from its event:
what the applicant must add or correct, and the state the dossier goes back to."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from dossiers.constants import DossierState
from dossiers.core.notes import event_applicant_note
from dossiers.models import Dossier, DossierEvent

# Action name of the officer's supplement request event (written by the processing workflow).
REQUEST_SUPPLEMENT_ACTION = "request_supplement"

_S = DossierState


@dataclass(frozen=True)
class SupplementItem:
    requirement_id: int | None
    field: str | None
    reason: str
    label: str  # the document's or the field's name, for display


@dataclass(frozen=True)
class SupplementRequest:
    """The officer's latest supplement request: what to add or correct, and why."""

    items: list[SupplementItem]
    requested_at: dt.datetime | None
    from_state: str
    note: str = ""
    event_id: int | None = None
    requirement_ids: list[int] = field(default_factory=list)
    field_names: list[str] = field(default_factory=list)


def supplement_request_get(dossier: Dossier) -> SupplementRequest:
    """Read the latest ``request_supplement`` event of the dossier.

    Without one (a dossier put in that state by other means), nothing is listed and the
    dossier goes back to processing if assigned, else to received.
    """
    event = (
        DossierEvent.objects.filter(dossier=dossier, action=REQUEST_SUPPLEMENT_ACTION)
        .order_by("-seq")
        .only("pk", "action", "payload", "created_at", "from_state", "note", "public_note")
        .first()
    )
    requirements = {r.pk: r.name for r in dossier.procedure_version.documents.all()}
    fields = {f["name"]: f.get("label") or f["name"] for f in dossier.procedure_version.form_schema.get("fields", [])}
    items: list[SupplementItem] = []
    raw_items = (event.payload or {}).get("items", []) if event else []
    for raw in raw_items if isinstance(raw_items, list) else []:
        if not isinstance(raw, dict):
            continue
        try:
            requirement_id = int(raw["requirement_id"]) if raw.get("requirement_id") is not None else None
        except (TypeError, ValueError):
            requirement_id = None
        field_name = str(raw["field"]) if raw.get("field") else None
        label = requirements.get(requirement_id) if requirement_id else None
        label = label or (fields.get(field_name) if field_name else None) or _("Nội dung khác")
        items.append(
            SupplementItem(
                requirement_id=requirement_id, field=field_name, reason=str(raw.get("reason", "")), label=str(label)
            )
        )
    fallback = _S.PROCESSING if dossier.assigned_to_id else _S.RECEIVED
    from_state = (
        event.from_state if event and event.from_state in (_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING) else fallback
    )
    return SupplementRequest(
        items=items,
        requested_at=event.created_at if event else dossier.paused_at,
        from_state=from_state,
        note=event_applicant_note(event) if event else "",  # the message to the applicant, never internal
        event_id=event.pk if event else None,
        requirement_ids=[i.requirement_id for i in items if i.requirement_id and i.requirement_id in requirements],
        field_names=[i.field for i in items if i.field and i.field in fields],
    )
