"""Celery tasks of the dossiers app; each takes ids and does nothing twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def render_acknowledgement(self, dossier_id: int, pin: str | None = None) -> None:
    """Triggered on commit of a submission: the applicant's in-app notice (once), then the
    acknowledgement PDF, then its mail."""
    from dossiers.services.applicant import dossier_notify_submitted
    from dossiers.services.slips import acknowledgement_ready_to_mail, slip_render_acknowledgement

    dossier_notify_submitted(dossier_id=dossier_id)
    slip = slip_render_acknowledgement(dossier_id=dossier_id, pin=pin)
    # Mailed now, or by the seal's task once it has signed (the mail carries the sealed PDF).
    if slip is not None and acknowledgement_ready_to_mail(slip):
        send_acknowledgement.apply_async(args=[slip.pk], queue="notifications")


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def render_slip(self, dossier_id: int, kind: str, event_seq: int) -> None:
    """Triggered on commit of a transition: render its official slip (form 01, 02, 03 or 04), once."""
    from dossiers.services.official_slips import slip_render

    slip_render(dossier_id=dossier_id, kind=kind, event_seq=event_seq)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def render_control_sheet(self, slip_id: int) -> None:
    """Triggered on commit of an officer's request: render the process control sheet (form 05), once."""
    from dossiers.services.official_slips import slip_control_sheet_render

    slip_control_sheet_render(slip_id=slip_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def render_result(self, result_id: int) -> None:
    """Triggered on commit of a proposal with a generated draft: render the result document, once."""
    from dossiers.services.results import result_render

    result_render(result_id=result_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=8)
def send_acknowledgement(self, slip_id: int) -> None:
    """Mail the acknowledgement to the applicant, once (the slip records when it was sent)."""
    from django.utils import timezone

    from dossiers.models import Slip
    from dossiers.services.slips import acknowledgement_ready_to_mail

    slip = Slip.objects.select_related("dossier").filter(pk=slip_id).first()
    if slip is None or slip.context.get("emailed_at") or not acknowledgement_ready_to_mail(slip):
        return
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
    from dossiers.services.filing import drafts_purge

    return drafts_purge()


@shared_task(acks_late=True)
def sweep_deadlines() -> dict:
    """Beat, every 5 minutes: mark and announce what has become due soon or overdue (once each)."""
    from dossiers.services.deadlines import deadlines_sweep

    return deadlines_sweep().as_dict()


@shared_task(acks_late=True)
def send_daily_digest() -> int:
    """Beat, every morning: each agency's leaders get the day's figures, once per day."""
    from dossiers.services.deadlines import daily_digest_send

    return daily_digest_send()


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def render_payment_receipt(self, payment_id: int) -> None:
    """Triggered on commit of a successful online payment: render its e-receipt (biên lai điện tử), once."""
    from dossiers.services.payments import payment_receipt_render

    payment_receipt_render(payment_id=payment_id)


@shared_task
def reconcile_payments() -> dict:
    """Beat, every 5 minutes: ask the gateway about payments pending for over 15 minutes and settle them."""
    from dossiers.services.payments import payment_reconcile

    return payment_reconcile()


@shared_task(acks_late=True)
def rollup_stats() -> list[str]:
    """Beat, nightly after midnight: roll up yesterday (and any day missed since the last run)."""
    from dossiers.stats.service import stats_rollup_pending

    return [day.isoformat() for day in stats_rollup_pending()]


@shared_task(acks_late=True)
def send_monthly_stats_reports() -> int:
    """Beat, on the 1st of each month: mail last month's report to subscribed leaders, once each."""
    from dossiers.stats.reports import stats_send_monthly_reports

    return stats_send_monthly_reports()


@shared_task(expires=55)
def refresh_live_stats() -> int:
    """Beat, every minute: count the current day's figures once for every statistics reader."""
    from dossiers.stats.service import stats_refresh_live

    return stats_refresh_live()
