"""Writes of the dossiers app. Other apps import from here and from `selectors` only."""

from dossiers.core.codes import dossier_code_allocate, result_code
from dossiers.core.events import event_append, events_verify

from .applicant import (
    dossier_draft_delete,
    dossier_notify_status,
    dossier_rate,
    dossier_supplement_submit,
    dossier_withdraw_request,
    supplement_request_get,
)
from .declarations import dossier_declarations_render
from .documents import document_inspect, sanitise_filename, stored_document_create
from .filing import (
    DRAFT_CHANGED,
    dossier_document_from_store,
    dossier_document_photos_upload,
    dossier_document_remove,
    dossier_document_upload,
    dossier_draft_create,
    dossier_draft_update,
    dossier_file,
    dossier_submit,
    draft_version,
    drafts_purge,
    missing_requirements,
    photos_as_document,
    requirement_get,
)
from .intake import dossier_counter_intake
from .official_slips import slip_render
from .previews import document_preview_page, document_previews_request
from .processing import (
    dossier_apologise,
    dossier_approve,
    dossier_assign,
    dossier_consult,
    dossier_consult_reply,
    dossier_decline,
    dossier_forward,
    dossier_payment_received,
    dossier_propose,
    dossier_reassign,
    dossier_request_payment,
    dossier_return_result,
    dossier_send_back,
    dossier_stop,
    dossier_withdraw_accept,
    dossier_withdraw_reject,
)
from .reception import dossier_hand_over, dossier_receive, dossier_refuse, dossier_request_supplement
from .saved_filters import saved_filter_create, saved_filter_delete
from .slips import slip_render_acknowledgement, tracking_url

__all__ = [
    "document_preview_page",
    "document_previews_request",
    "saved_filter_create",
    "saved_filter_delete",
    "dossier_apologise",
    "dossier_approve",
    "dossier_assign",
    "dossier_consult",
    "dossier_consult_reply",
    "dossier_decline",
    "dossier_forward",
    "dossier_payment_received",
    "dossier_propose",
    "dossier_reassign",
    "dossier_request_payment",
    "dossier_return_result",
    "dossier_send_back",
    "dossier_stop",
    "dossier_withdraw_accept",
    "dossier_withdraw_reject",
    "dossier_draft_delete",
    "dossier_notify_status",
    "dossier_rate",
    "dossier_supplement_submit",
    "dossier_withdraw_request",
    "supplement_request_get",
    "dossier_document_from_store",
    "dossier_document_photos_upload",
    "dossier_document_remove",
    "dossier_document_upload",
    "dossier_draft_create",
    "dossier_draft_update",
    "photos_as_document",
    "requirement_get",
    "draft_version",
    "DRAFT_CHANGED",
    "dossier_file",
    "dossier_submit",
    "drafts_purge",
    "missing_requirements",
    "dossier_counter_intake",
    "dossier_hand_over",
    "dossier_receive",
    "dossier_refuse",
    "dossier_request_supplement",
    "slip_render",
    "slip_render_acknowledgement",
    "tracking_url",
    "document_inspect",
    "dossier_declarations_render",
    "dossier_code_allocate",
    "event_append",
    "events_verify",
    "result_code",
    "sanitise_filename",
    "stored_document_create",
]
