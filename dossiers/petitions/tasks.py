"""Celery tasks of petitions: the deadline sweep (beat) and an anonymous petitioner's e-mail."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation

from dossiers.petitions import services
from dossiers.petitions.models import PetitionEvent
from portal.notifications import message_render


@shared_task
def sweep_petition_deadlines() -> dict:
    """Beat, every 5 minutes: warn the agency before a petition's answer is due and mark it
    overdue after, each once (see `services.petition_sweep_one`)."""
    return services.petition_sweep()


@shared_task
def mail_contact(event_id: int) -> bool:
    """Enqueued (through the outbox) by a change of an anonymous petitioner's petition: the notice
    to the e-mail left with it, sent once (``mailed_at`` stamped under the event's lock)."""
    with transaction.atomic():
        event = PetitionEvent.objects.select_for_update().select_related("petition").filter(pk=event_id).first()
        if event is None or event.mailed_at is not None or not event.petition.contact_email:
            return False
        petition = event.petition
        with translation.override(settings.LANGUAGE_CODE):
            status = str(petition.get_state_display())
        url = f"/phan-anh-kien-nghi/{petition.code}/" if petition.published else ""
        rendered = message_render(
            event="petition.status_changed",
            context={"petition_code": petition.code, "status": status, "note": event.note, "url": url},
            language=settings.LANGUAGE_CODE,
            parts=("subject", "text", "html"),
        )
        message = EmailMultiAlternatives(
            subject=f"[{settings.PORTAL_NAME}] {rendered['subject']}",
            body=rendered["text"],
            to=[petition.contact_email],
        )
        message.attach_alternative(rendered["html"], "text/html")
        message.send()
        event.mailed_at = timezone.now()
        event.save(update_fields=["mailed_at"])
    return True
