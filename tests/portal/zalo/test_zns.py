"""The Zalo channel: a ZNS template notice sent over real HTTP to the sandbox Zalo server, its
delivery callback posted back to our webhook and recorded; the per-person choice respected."""

import json
import time

import pytest

from portal import notifications, zalo
from portal.models import DeliveryStatus, NotificationDelivery, NotificationPreference
from tests.factories import CitizenProfileFactory

CONTEXT = {
    "dossier_code": "H12-260101-0001",
    "procedure": "Cấp giấy phép xây dựng",
    "url": "/dossiers/H12-260101-0001/",
}


def _citizen(opt_in: bool):
    profile = CitizenProfileFactory(phone="0912 345 678")
    if opt_in:
        NotificationPreference.objects.create(
            user=profile.user, event="dossier.result_ready", channel="zalo", enabled=True
        )
    return profile.user


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0912345678", "84912345678"), ("0912 345 678", "84912345678"), ("+84912345678", "84912345678"),
     ("84912345678", "84912345678"), ("091234567", ""), ("abc", ""), ("", "")],
)  # fmt: skip
def test_phone_normalisation(raw, expected):
    assert zalo.normalise_phone(raw) == expected


@pytest.mark.django_db(transaction=True)
def test_a_zns_notice_is_sent_and_its_delivery_callback_recorded(live_server, sandbox_factory):
    sandbox = sandbox_factory(f"{live_server.url}/zalo/webhook/")
    user = _citizen(opt_in=True)
    notifications.notify(user, "dossier.result_ready", CONTEXT)
    delivery = NotificationDelivery.objects.get(channel="zalo")
    assert delivery.status == DeliveryStatus.SENT and delivery.recipient == "84912345678"
    [sent] = sandbox.templates
    assert sent["phone"] == "84912345678" and sent["template_id"] == "301234"
    assert sent["tracking_id"] == str(delivery.pk)
    assert sent["template_data"]["ma_ho_so"] == "H12-260101-0001"
    assert sent["template_data"]["duong_dan"].endswith("/dossiers/H12-260101-0001/")
    assert delivery.provider_message_id == sent["msg_id"]
    for _ in range(100):
        delivery.refresh_from_db()
        if delivery.delivered_at is not None:
            break
        time.sleep(0.05)
    assert delivery.delivered_at is not None
    assert sandbox.callbacks == [(sent["msg_id"], 200)]
    # The same callback again changes nothing (idempotent).
    first = delivery.delivered_at
    status = sandbox.post_event(
        {"event_name": "user_received_message", "message": {"msg_id": sent["msg_id"], "delivery_time": "1"}}
    )
    delivery.refresh_from_db()
    assert status == 200 and delivery.delivered_at == first


@pytest.mark.django_db
def test_no_zalo_message_without_opt_in(sandbox_factory, django_capture_on_commit_callbacks):
    sandbox = sandbox_factory("http://127.0.0.1:9/unused/")
    user = _citizen(opt_in=False)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user, "dossier.result_ready", CONTEXT)
    assert not NotificationDelivery.objects.filter(channel="zalo").exists()
    assert sandbox.templates == []
    # Opted out after opting in: nothing either.
    NotificationPreference.objects.create(user=user, event="dossier.result_ready", channel="zalo", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user, "dossier.result_ready", CONTEXT)
    assert sandbox.templates == []


@pytest.mark.django_db
def test_zalo_is_offered_only_where_configured_and_chosen_per_person(
    client, settings, sandbox_factory, django_capture_on_commit_callbacks
):
    user = _citizen(opt_in=False)
    client.force_login(user)
    settings.ZALO_ACCESS_TOKEN = ""
    assert "zalo" not in notifications.optional_channels()
    assert 'value="dossier.result_ready:zalo"' not in client.get("/account/notifications/").content.decode()
    sandbox = sandbox_factory("http://127.0.0.1:9/unused/")
    page = client.get("/account/notifications/").content.decode()
    assert 'value="dossier.result_ready:zalo"' in page and ">Zalo<" in page
    # The citizen ticks Zalo for "result ready" only.
    response = client.post("/account/notifications/", {"on": ["dossier.result_ready:zalo"], "language": "vi"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user, event="dossier.result_ready", channel="zalo").enabled
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user, "dossier.result_ready", CONTEXT)
        notifications.notify(user, "dossier.status_changed", {**CONTEXT, "status": "Đang xử lý"})
    assert [m["template_id"] for m in sandbox.templates] == ["301234"]


@pytest.mark.django_db
def test_a_refused_send_is_a_failed_attempt_retried(sandbox_factory, settings, django_capture_on_commit_callbacks):
    sandbox = sandbox_factory("http://127.0.0.1:9/unused/")
    settings.ZALO_ACCESS_TOKEN = "wrong-token"  # noqa: S105
    user = _citizen(opt_in=True)
    notifications.notify(user, "dossier.result_ready", CONTEXT)
    delivery = NotificationDelivery.objects.get(channel="zalo")
    assert notifications.delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED and "-124" in delivery.last_error
    assert "wrong-token" not in delivery.last_error  # the secret is never recorded
    assert sandbox.templates == []
    assert json.loads(delivery.body_text)["template_id"] == "301234"
