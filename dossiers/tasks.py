"""Celery tasks of the dossiers app; each takes ids, does nothing twice, and calls a service.

The steps of a pipeline (`dossiers.core.pipelines`, which chains them by name) return the id
the next step takes. Queues come from the routes (`portal.celery.TASK_ROUTES`): renders in
``pdf``, seals, signatures and verifications in ``signing`` (the only worker that holds keys),
mails in ``notifications``; the retry policy is the base task's (`portal.celery.PortalTask`).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.models import Slip
from dossiers.services.anchors import event_anchor_create
from dossiers.services.applicant import dossier_notify_submitted
from dossiers.services.deadlines import daily_digest_send, deadlines_sweep
from dossiers.services.declarations import dossier_declarations_render
from dossiers.services.filing import drafts_purge
from dossiers.services.official_slips import slip_control_sheet_render, slip_render
from dossiers.services.payments import payment_receipt_notify, payment_receipt_render, payment_reconcile
from dossiers.services.previews import document_preview_render
from dossiers.services.reception import dossier_reception_deadline_set
from dossiers.services.results import result_render
from dossiers.services.sealing import (
    payment_receipt_seal,
    slip_seal,
    stored_document_sign,
    stored_document_verify_signatures,
)
from dossiers.services.slips import acknowledgement_ready_to_mail, slip_render_acknowledgement
from dossiers.stats.opendata import opendata_publish
from dossiers.stats.reports import stats_send_monthly_reports
from dossiers.stats.service import stats_refresh_live, stats_rollup_pending

logger = logging.getLogger(__name__)


@shared_task
def render_acknowledgement(dossier_id: int, pin: str | None = None) -> int | None:
    """First step of a submission's pipeline: the applicant's in-app notice (once), then the
    acknowledgement PDF (once); returns the slip's id for the seal and the mail. The reception
    deadline of an online dossier is set here too, off the request (once)."""
    dossier_reception_deadline_set(dossier_id=dossier_id)
    dossier_notify_submitted(dossier_id=dossier_id)
    dossier_declarations_render(dossier_id=dossier_id)  # the declaration from the e-form, listed on the slip
    slip = slip_render_acknowledgement(dossier_id=dossier_id, pin=pin)
    return slip.pk if slip is not None else None


@shared_task
def render_slip(dossier_id: int, kind: str, event_seq: int) -> int | None:
    """Triggered on commit of a transition: render its official slip (form 01, 02, 03 or 04),
    once; returns the slip's id for the seal."""
    slip = slip_render(dossier_id=dossier_id, kind=kind, event_seq=event_seq)
    return slip.pk if slip is not None else None


@shared_task
def seal_slip(slip_id: int | None) -> int | None:
    """After a released slip's render (signing queue): the agency seal's signature, once;
    passes the slip's id on (to the acknowledgement's mail)."""
    if slip_id is not None:
        slip_seal(slip_id=slip_id)
    return slip_id


@shared_task
def render_control_sheet(slip_id: int) -> None:
    """Triggered on commit of an officer's request: render the process control sheet (form 05), once."""
    slip_control_sheet_render(slip_id=slip_id)


@shared_task
def render_result(result_id: int) -> None:
    """Triggered on commit of a proposal with a generated draft: render the result document, once."""
    result_render(result_id=result_id)


@shared_task
def render_document_preview(stored_document_id: int) -> str | None:
    """Triggered on commit when an officer's page shows a document with no preview yet (pdf
    queue): render its page images, once."""
    return document_preview_render(stored_document_id=stored_document_id)


@shared_task
def sign_stored_document(stored_document_id: int, agency_id: int, user_id: int | None = None) -> bool:
    """Triggered on commit of an approval (signing queue): sign the result's stored PDF, once."""
    return stored_document_sign(stored_document_id=stored_document_id, agency_id=agency_id, user_id=user_id)


@shared_task
def verify_uploaded_signatures(stored_document_id: int) -> bool:
    """Triggered when an uploaded PDF is attached to a dossier (signing queue): record its
    signatures' verdict, once per content."""
    return stored_document_verify_signatures(stored_document_id=stored_document_id) is not None


@shared_task
def send_acknowledgement(slip_id: int | None) -> None:
    """Last step of a submission's pipeline: mail the acknowledgement to the applicant, once (the
    slip records when it was sent), and only once it is sealed when the agency has a seal."""
    if slip_id is None:
        return
    # The slip's row stays locked while mailing: a duplicate of this task (a redelivery, an
    # outbox republish) waits, then finds it mailed.
    with transaction.atomic():
        slip = Slip.objects.select_for_update(of=("self",)).select_related("dossier").filter(pk=slip_id).first()
        if slip is None or slip.context.get("emailed_at") or not acknowledgement_ready_to_mail(slip):
            return
        _mail_acknowledgement(slip)


def _mail_acknowledgement(slip: Slip) -> None:
    dossier = slip.dossier
    if not dossier.applicant_email:
        return
    message = EmailMessage(
        subject=_("[%(portal)s] Đã nhận hồ sơ %(code)s") % {"portal": settings.PORTAL_NAME, "code": dossier.code},
        body=_(
            "Hồ sơ %(code)s (%(procedure)s) đã được gửi tới %(agency)s lúc %(when)s và đang chờ tiếp nhận.\n"
            "Giấy xác nhận nộp hồ sơ được đính kèm. Tra cứu tình trạng hồ sơ tại %(url)s"
        )
        % {
            "code": dossier.code,
            "procedure": dossier.procedure_version.name,
            "agency": dossier.receiving_agency.name,
            "when": timezone.localtime(dossier.submitted_at).strftime("%H:%M %d/%m/%Y"),
            "url": f"{settings.SITE_URL}/track/?code={dossier.code}",
        },
        to=[dossier.applicant_email],
    )
    with slip.file.open("rb") as fh:
        message.attach(slip.file.name.rsplit("/", 1)[-1], fh.read(), "application/pdf")
    message.send()
    slip.context = {**slip.context, "emailed_at": timezone.now().isoformat()}
    slip.save(update_fields=["context"])


@shared_task
def purge_stale_drafts() -> int:
    """Beat, daily: delete drafts untouched for 30 days."""
    return drafts_purge()


@shared_task
def anchor_event_chains() -> int | None:
    """Beat, daily: seal and keep the anchor of every dossier's event chain head (once a day);
    routed to the signing worker, which holds the seal's key. Returns the anchor's id."""
    anchor = event_anchor_create()
    return anchor.pk if anchor else None


@shared_task
def sweep_deadlines() -> dict:
    """Beat, every 5 minutes: mark and announce what has become due soon or overdue (once each)."""
    return deadlines_sweep().as_dict()


@shared_task
def send_daily_digest() -> int:
    """Beat, every morning: each agency's leaders get the day's figures, once per day."""
    return daily_digest_send()


@shared_task
def render_payment_receipt(payment_id: int) -> int | None:
    """First step of a settled online payment's pipeline: render its e-receipt (biên lai điện
    tử), once; returns the payment's id for the seal and the notice when it rendered it now."""
    return payment_id if payment_receipt_render(payment_id=payment_id) is not None else None


@shared_task
def seal_payment_receipt(payment_id: int | None) -> int | None:
    """After the e-receipt's render (signing queue): the agency seal's signature, once."""
    if payment_id is not None:
        payment_receipt_seal(payment_id=payment_id)
    return payment_id


@shared_task
def notify_payment_receipt(payment_id: int | None) -> None:
    """Last step of a settled online payment's pipeline: tell the payer the receipt is in its store."""
    if payment_id is not None:
        payment_receipt_notify(payment_id)


@shared_task
def reconcile_payments() -> dict:
    """Beat, every 5 minutes: ask the gateway about payments pending for over 15 minutes and settle them."""
    return payment_reconcile()


@shared_task
def rollup_stats() -> list[str]:
    """Beat, nightly after midnight: roll up yesterday (and any day missed since the last run)."""
    return [day.isoformat() for day in stats_rollup_pending()]


@shared_task
def publish_open_data() -> list[str]:
    """Beat, nightly after the roll-up: rewrite the open-data files (statistics, index, catalogue)."""
    return opendata_publish()


@shared_task
def send_monthly_stats_reports() -> int:
    """Beat, on the 1st of each month: mail last month's report to subscribed leaders, once each."""
    return stats_send_monthly_reports()


@shared_task(expires=55)
def refresh_live_stats() -> int:
    """Beat, every minute: count the current day's figures once for every statistics reader."""
    return stats_refresh_live()
