"""An organisation's invitation e-mail through the real outbox path: the page records it with the
invitation, a real worker on the real Redis broker sends it to a real SMTP server (aiosmtpd) and
marks its outbox row done. The SMTP server is down at first: the owner invites again, and once the
server is up the invitee gets the link, with a name full of CR/LF unable to add a header."""

import email
import time
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from portal.constants import OrganisationRole
from portal.models import OrganisationInvitation, OutboxMessage
from tests.celery.conftest import RecordingHandler, broker_url, celery_broker, free_port, wait_for, worker_output
from tests.factories import OrganisationMembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]

HOSTILE_NAME = "Công ty A\r\nBcc: ke-gian@example.com\r\nSubject: khác"


def test_an_invitation_whose_first_send_failed_is_sent_after_inviting_again(client, start_worker):
    owner = UserFactory()
    organisation = OrganisationMembershipFactory(user=owner, role=OrganisationRole.OWNER).organisation
    organisation.name = HOSTILE_NAME
    organisation.save(update_fields=["name"])
    smtp_port = free_port()  # nothing listens there yet: every send fails
    worker = start_worker(smtp_port=smtp_port)
    client.force_login(owner)
    with celery_broker(broker_url()):
        first = client.post(f"/organisations/{organisation.pk}/", {"email": "moi@example.vn", "role": "member"})
        assert first.status_code == 302
        time.sleep(3)  # the worker tried and failed (connection refused), its retry waits
        invitation = OrganisationInvitation.objects.get()
        assert invitation.sends_done == 0 and invitation.sent_at is None
        assert OutboxMessage.objects.get(task="portal.tasks.send_invitation").done_at is None
        again = client.post(f"/organisations/{organisation.pk}/", {"email": "moi@example.vn", "role": "member"})
        assert again.status_code == 302
        assert "Đã gửi lại lời mời tới moi@example.vn." in client.get(again["Location"]).content.decode()
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        rows = OutboxMessage.objects.filter(task="portal.tasks.send_invitation")
        done = wait_for(lambda: handler.messages and rows.count() == 2 and not rows.filter(done_at=None).exists(), 90)
        assert done, worker_output(worker)
    finally:
        controller.stop()
    invitation.refresh_from_db()
    assert invitation.sends_requested == invitation.sends_done == 2 and invitation.sent_at is not None
    # The first round's retry may run before the second round (two e-mails) or after it (nothing
    # to do): one or two e-mails, never more, each to the invitee alone.
    assert 1 <= len(handler.messages) <= 2
    for envelope in handler.messages:
        assert envelope.rcpt_tos == ["moi@example.vn"]
        message = email.message_from_bytes(envelope.original_content)
        assert message.get_all("Bcc") is None and len(message.get_all("Subject")) == 1
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject == "Lời mời tham gia tổ chức Công ty A Bcc: ke-gian@example.com Subject: khác"
        body = message.get_payload(decode=True).decode()
        assert f"/invitations/{invitation.token}/" in body
