"""The pipelines a dossier's changes set off, each one Celery ``chain`` built here.

A service calls one of these functions inside the transaction of the change that sets the
pipeline off: the pipeline is recorded in the outbox (`portal.services.outbox`) with the change,
published when it commits, never if it rolls back, and published again until its last step
reports done (a crash after the commit, a broker that lost its queue). Each step is a task of `dossiers.tasks` named by its registered
name (this module never imports the tasks, nor the services they call): it takes ids, does
nothing when its work is already done, and hands the next step the id it needs. The queue of
each step is its route in `portal.celery.TASK_ROUTES` (``pdf`` renders, ``signing`` signs,
``notifications`` mails).

- submission: acknowledgement render → seal → mail (the mail waits for the seal when the
  agency has one; an agency without a seal mails at once);
- a transition's official slip (receipt, supplement request, refusal, apology, stop notice): render → seal;
- the control sheet and a generated draft result: render;
- a result at approval: sign (the signed file is stored in the same step);
- an online payment's e-receipt: render → seal → notify;
- an uploaded PDF: verify its signatures.
"""

from celery import signature

from dossiers.models import Dossier
from portal.services.outbox import outbox_enqueue
from signing import selectors as signing_selectors


def _task(name: str, *args, **kwargs):
    """The signature of task ``dossiers.tasks.<name>``; with no arguments, it takes the
    previous step's result."""
    return signature(f"dossiers.tasks.{name}", args=args, kwargs=kwargs, immutable=bool(args or kwargs))


def _enqueue(first, *then) -> None:
    """Record the pipeline ``first`` → ``then``… in the outbox."""
    outbox_enqueue(task=first.task, args=list(first.args), kwargs=dict(first.kwargs), then=list(then))


def _agency_has_seal(*, dossier_id: int, agency_id: int | None) -> bool:
    if agency_id is None:
        agency_id = Dossier.objects.filter(pk=dossier_id).values_list("receiving_agency_id", flat=True).first()
    return signing_selectors.agency_has_seal(agency_id=agency_id)


def acknowledgement_enqueue(*, dossier_id: int, pin: str | None = None, agency_id: int | None = None) -> None:
    """The submission's acknowledgement: the applicant's in-app notice and the PDF, the agency
    seal when the receiving agency (``agency_id``, read when not given) has one, then the mail."""
    render = _task("render_acknowledgement", dossier_id, pin=pin)
    if _agency_has_seal(dossier_id=dossier_id, agency_id=agency_id):
        _enqueue(render, _task("seal_slip"), _task("send_acknowledgement"))
    else:
        _enqueue(render, _task("send_acknowledgement"))


def official_slip_enqueue(*, dossier_id: int, kind: str, event_seq: int, agency_id: int | None = None) -> None:
    """A transition's official slip (form 01 to 04, for its event ``event_seq``), sealed when
    the receiving agency has a seal: it is released to the applicant."""
    render = _task("render_slip", dossier_id, str(kind), event_seq)
    if _agency_has_seal(dossier_id=dossier_id, agency_id=agency_id):
        _enqueue(render, _task("seal_slip"))
    else:
        _enqueue(render)


def control_sheet_enqueue(*, slip_id: int) -> None:
    """The process control sheet (form 05) an officer asked for: internal, never sealed."""
    _enqueue(_task("render_control_sheet", slip_id))


def result_render_enqueue(*, result_id: int) -> None:
    """A proposal's generated draft result: render its document."""
    _enqueue(_task("render_result", result_id))


def results_sign_enqueue(*, stored_document_ids: list[int], agency_id: int, user_id: int | None = None) -> None:
    """The approved results' files: signed by the leader's personal certificate when it has
    one, else the agency seal; the signed file replaces the stored one in the same step."""
    for stored_document_id in stored_document_ids:
        _enqueue(_task("sign_stored_document", stored_document_id, agency_id, user_id))


def payment_receipt_enqueue(*, payment_id: int) -> None:
    """A settled online payment: its e-receipt (biên lai điện tử) rendered into the payer's
    store, sealed by the agency, then the payer told."""
    _enqueue(
        _task("render_payment_receipt", payment_id), _task("seal_payment_receipt"), _task("notify_payment_receipt")
    )


def uploads_verify_enqueue(*, stored_document_ids: list[int]) -> None:
    """PDFs uploaded already signed: the verdict on their signatures, for the officers."""
    for stored_document_id in stored_document_ids:
        _enqueue(_task("verify_uploaded_signatures", stored_document_id))


def document_preview_enqueue(*, stored_document_id: int) -> None:
    """A document opened on the officer's page with no page images yet: render them (pdf queue).
    Sent straight to the broker, not through the outbox: it is asked for again when the page is
    opened again and the preview is still pending after its time (`services.previews`)."""
    _task("render_document_preview", stored_document_id).apply_async()
