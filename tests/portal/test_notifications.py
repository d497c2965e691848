"""In-app notifications and their deliveries: recorded with the change, sent once on commit
through the outbox, retried with backoff then marked failed; the notification centre pages."""

import socket

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.test import override_settings

from portal import notifications, tasks
from portal.models import DeliveryStatus, Notification, NotificationDelivery, OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_old_signature_records_a_row_and_mails_on_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(
            user=user, subject="Hồ sơ ABC đã được tiếp nhận", body="Nội dung", url="/dossiers/ABC/", dossier_code="ABC"
        )
        assert mail.outbox == []  # nothing leaves before the commit
        assert OutboxMessage.objects.get().published_at is None
    notification.refresh_from_db()
    assert notification.event == "message" and notification.emailed_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "Hồ sơ ABC đã được tiếp nhận" in message.subject
    assert "Nội dung" in message.body and "http://" in message.body and "/dossiers/ABC/" in message.body
    email = notification.deliveries.get(channel="email")
    assert (email.status, email.attempts, email.sent_at is not None) == (DeliveryStatus.SENT, 1, True)
    assert OutboxMessage.objects.get().published_at is not None


def test_nothing_is_sent_or_kept_on_rollback(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notifications.notify(user=user, subject="Không gửi", body="")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not NotificationDelivery.objects.exists() and not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_in_app_only_notification_is_not_mailed(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user=user, subject="Chỉ trong ứng dụng", body="", email=False)
    assert mail.outbox == []
    assert list(notification.deliveries.values_list("channel", "status")) == [("in_app", "sent")]
    assert tasks.send_notification_email(notification.pk) is False


def test_only_the_parts_a_notice_goes_out_in_are_rendered():
    """An in-app notice needs its subject only; the e-mail's text and HTML are rendered only for
    a notice that is mailed."""
    from django.test.signals import template_rendered

    used = []

    def record(sender, template, **kwargs):
        used.append(template.name)

    template_rendered.connect(record)
    try:
        notifications.notify(user=UserFactory(), subject="Chỉ trong ứng dụng", body="B", email=False)
        in_app_only, used[:] = list(used), []
        notifications.notify(user=UserFactory(), subject="Có thư", body="B", email=True)
    finally:
        template_rendered.disconnect(record)
    assert in_app_only == ["notifications/message.subject.txt"]
    assert {"notifications/message.subject.txt", "notifications/message.txt", "notifications/message.html"} <= set(used)


def test_delivery_is_sent_once_whatever_the_number_of_runs():
    notification = notifications.notify(user=UserFactory(), subject="Một lần", body="")
    delivery = notification.deliveries.get(channel="email")
    assert notifications.delivery_send(delivery_id=delivery.pk) == "sent"
    assert notifications.delivery_send(delivery_id=delivery.pk) == "done"
    assert tasks.deliver_notification.apply(args=[delivery.pk]).get() == "done"
    assert notifications.delivery_send(delivery_id=delivery.pk + 1000) == "done"
    assert tasks.send_notification_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_inactive_user_gets_no_email():
    user = UserFactory(is_active=False)
    notification = notifications.notify(user=user, subject="Không gửi", body="")
    assert not notification.deliveries.filter(channel="email").exists()
    assert tasks.send_notification_email(notification.pk) is False
    assert mail.outbox == []


def test_smtp_down_retries_with_backoff_then_marks_failed():
    notification = notifications.notify(user=UserFactory(), subject="Thử lại", body="")
    delivery = notification.deliveries.get(channel="email")
    smtp_down = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=_closed_port()
    )
    with smtp_down:
        assert notifications.delivery_send(delivery_id=delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
        assert "ConnectionRefusedError" in delivery.last_error
        # A failed attempt that is not the last asks Celery for a retry (with a countdown).
        with pytest.raises(Retry):
            tasks.deliver_notification.apply(args=[delivery.pk], retries=notifications.DELIVERY_MAX_ATTEMPTS - 2)
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        # The last allowed attempt fails too: the delivery is marked failed, not retried.
        last = tasks.deliver_notification.apply(args=[delivery.pk], retries=notifications.DELIVERY_MAX_ATTEMPTS - 1)
        assert last.get() == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (DeliveryStatus.FAILED, 3, None)
    assert mail.outbox == []
    # A failed delivery is never sent by a late duplicate of the task.
    assert tasks.deliver_notification.apply(args=[delivery.pk]).get() == "done"


def test_a_retry_after_the_smtp_server_returns_sends():
    notification = notifications.notify(user=UserFactory(), subject="Thử lại", body="")
    delivery = notification.deliveries.get(channel="email")
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=_closed_port()
    ):
        assert notifications.delivery_send(delivery_id=delivery.pk) == "retry"
    assert tasks.deliver_notification.apply(args=[delivery.pk], retries=1).get() == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_backoff_grows_and_is_capped():
    from celery.utils.time import get_exponential_backoff_interval

    waits = [
        get_exponential_backoff_interval(
            factor=tasks.DELIVERY_BACKOFF_FACTOR, retries=n, maximum=tasks.DELIVERY_BACKOFF_MAX, full_jitter=False
        )
        for n in range(10)
    ]
    assert waits[0] == 30 and waits[1] == 60 and waits[2] == 120
    assert max(waits) == tasks.DELIVERY_BACKOFF_MAX


# --- pages -----------------------------------------------------------------------------------


def test_list_is_newest_first_only_mine_and_query_bounded(client, django_assert_max_num_queries):
    user = UserFactory()
    for i in range(25):
        notifications.notify(user=user, subject=f"Thông báo số {i:02d}", body="", email=False)
    notifications.notify(user=UserFactory(), subject="Của người khác", body="", email=False)
    client.force_login(user)
    with django_assert_max_num_queries(6):
        response = client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Của người khác" not in html
    assert html.index("Thông báo số 24") < html.index("Thông báo số 23") < html.index("Thông báo số 00")
    assert 'id="unread-notifications">25' in html


def test_query_count_does_not_grow_with_the_list(client, django_assert_max_num_queries):
    user = UserFactory()
    notifications.notify(user=user, subject="Một", body="", email=False)
    client.force_login(user)
    with django_assert_max_num_queries(6) as few:
        client.get("/notifications/")
    for i in range(20):
        notifications.notify(user=user, subject=f"Thêm {i}", body="", email=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notifications/")


def test_open_marks_read_and_goes_to_the_dossier(client):
    user = UserFactory()
    notification = notifications.notify(user=user, subject="Xem hồ sơ", body="", url="/dossiers/ABC/", email=False)
    client.force_login(user)
    assert notifications.unread_count(user=user) == 1
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/dossiers/ABC/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert notifications.unread_count(user=user) == 0
    assert 'id="unread-notifications"' not in client.get("/notifications/").content.decode()


def test_open_refuses_an_outside_url_and_others_notifications(client):
    user = UserFactory()
    evil = notifications.notify(user=user, subject="x", body="", url="https://evil.example/", email=False)
    theirs = notifications.notify(user=UserFactory(), subject="y", body="", email=False)
    client.force_login(user)
    assert client.post(f"/notifications/{evil.pk}/open/")["Location"] == "/notifications/"
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.get(f"/notifications/{evil.pk}/open/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all(client):
    user = UserFactory()
    for i in range(3):
        notifications.notify(user=user, subject=f"N{i}", body="", email=False)
    other = notifications.notify(user=UserFactory(), subject="Khác", body="", email=False)
    client.force_login(user)
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_unread_count_is_cached_and_refreshed_on_commit(django_capture_on_commit_callbacks, django_assert_num_queries):
    user = UserFactory()
    assert notifications.unread_count(user=user) == 0
    with django_assert_num_queries(0):
        assert notifications.unread_count(user=user) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user=user, subject="Mới", body="", email=False)
    assert notifications.unread_count(user=user) == 1
