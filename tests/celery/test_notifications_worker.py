"""Notifications through a real worker on the real Redis broker, a real SMTP server, and the
two faults that must lose nothing: the broker down during a submission, a worker killed
in the middle of a send."""

import email
import os
import signal
from email.header import decode_header, make_header

import pytest
from django.db import transaction

from dossiers import services as dossier_services
from portal import notifications
from portal.models import DeliveryStatus, NotificationDelivery, OutboxMessage
from portal.services.outbox import outbox_publish_pending
from tests.celery.conftest import broker_url, celery_broker, free_port, wait_for, worker_children, worker_output
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]

CONTEXT = {"dossier_code": "000.00.12.H48-261122-0001", "procedure": "Đăng ký khai sinh", "url": "/dossiers/X/"}


def _notify_committed(user, event="dossier.result_ready"):
    with transaction.atomic():
        return notifications.notify(user, event, CONTEXT)


def _parts(envelope) -> dict[str, str]:
    message = email.message_from_bytes(envelope.original_content)
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_a_notification_email_goes_through_redis_a_worker_and_smtp(smtp_server, start_worker):
    handler, port = smtp_server()
    worker = start_worker(smtp_port=port)
    user = UserFactory(email="cong.dan@example.com", full_name="Nguyễn Thị Dân")
    with celery_broker(broker_url()):
        notification = _notify_committed(user)
    delivered = wait_for(lambda: handler.messages, timeout=60)
    assert delivered, worker_output(worker)
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.rcpt_tos == ["cong.dan@example.com"]
    parts = _parts(envelope)
    assert "Kính gửi Nguyễn Thị Dân" in parts["text/plain"]
    assert "http://127.0.0.1:8000/dossiers/X/" in parts["text/plain"]
    assert 'href="http://127.0.0.1:8000/dossiers/X/"' in parts["text/html"]
    delivery = wait_for(
        lambda: NotificationDelivery.objects.filter(
            notification=notification, channel="email", status=DeliveryStatus.SENT
        ).first()
    )
    assert delivery is not None and delivery.attempts == 1
    assert OutboxMessage.objects.get().published_at is not None


def test_broker_down_during_submission_delays_but_loses_nothing(smtp_server, start_worker):
    handler, port = smtp_server()
    dossier = DossierFactory(draft=True, form_data={"full_name": "Nguyễn Văn Thử"})
    DossierDocumentFactory(dossier=dossier)
    applicant = dossier.applicant
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        submitted, pin = dossier_services.dossier_submit(user=applicant, dossier_id=dossier.pk, declaration=True)
        _notify_committed(applicant)  # a status email of the same moment
    assert submitted.code and pin  # the submission succeeded
    pending = OutboxMessage.objects.filter(published_at__isnull=True)
    assert set(pending.values_list("task", flat=True)) == {
        "dossiers.tasks.render_acknowledgement",
        "portal.tasks.deliver_notification",
    }
    assert handler.messages == []
    # The broker is back: the beat task publishes what waited, and a worker sends it.
    worker = start_worker(smtp_port=port)
    with celery_broker(broker_url()):
        assert outbox_publish_pending(grace_seconds=0) == 2
        assert outbox_publish_pending(grace_seconds=0) == 0
    arrived = wait_for(lambda: len(handler.messages) >= 2, timeout=90)
    assert arrived, worker_output(worker)
    subjects = [
        str(make_header(decode_header(email.message_from_bytes(m.original_content)["Subject"])))
        for m in handler.messages
    ]
    assert any(submitted.code in s for s in subjects)
    # Published again (e.g. a stamp lost after the broker took it): still sent once.
    with celery_broker(broker_url()):
        for message in OutboxMessage.objects.filter(task="portal.tasks.deliver_notification"):
            from portal.tasks import deliver_notification

            deliver_notification.apply_async(args=message.args, queue="notifications")
    wait_for(lambda: False, timeout=5)
    assert len(handler.messages) == 2, [m.rcpt_tos for m in handler.messages]
    assert all(m.rcpt_tos == [submitted.applicant_email] for m in handler.messages)


def test_a_worker_killed_mid_send_redelivers_and_sends_once(smtp_server, start_worker):
    handler, port = smtp_server(hold_first=True)
    worker = start_worker(smtp_port=port)
    user = UserFactory(email="mot.lan@example.com")
    with celery_broker(broker_url()):
        notification = _notify_committed(user)
    # The worker's child is now inside the SMTP exchange, the delivery row locked.
    assert handler.holding.wait(60), worker_output(worker)
    children = worker_children(worker)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    handler.release.set()
    # acks_late + reject_on_worker_lost: the message goes back to the queue, a new child runs it.
    delivered = wait_for(lambda: handler.messages, timeout=90)
    assert delivered, worker_output(worker)
    delivery = wait_for(
        lambda: NotificationDelivery.objects.filter(
            notification=notification, channel="email", status=DeliveryStatus.SENT
        ).first()
    )
    assert delivery is not None
    wait_for(lambda: False, timeout=3)
    assert len(handler.messages) == 1
    assert worker.poll() is None  # the worker itself survived and replaced its child
