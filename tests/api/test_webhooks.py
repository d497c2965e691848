"""Webhooks: URL rules, signed deliveries to a local receiver, retries with backoff, replay."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dossiers.services import event_append
from portal.models import DeliveryState, WebhookDelivery
from portal.services.webhooks import (
    delivery_next_delay,
    webhook_delivery_attempt,
    webhook_delivery_replay,
    webhook_subscription_create,
    webhook_url_check,
)
from portal.tasks import webhooks_retry_due
from tests.api.conftest import client_for
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db


def test_url_rules_in_production(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    for url, fragment in [
        ("http://example.org/hook", "https"),
        ("https://127.0.0.1/hook", "nội bộ"),
        ("https://10.0.0.5/hook", "nội bộ"),
        ("https://169.254.169.254/latest", "nội bộ"),
        ("https://[::1]/hook", "nội bộ"),
        ("https://localhost/hook", "nội bộ"),
        ("https://user:pw@example.org/hook", "mật khẩu"),
        ("ftp://example.org/x", "URL"),
        ("không phải url", "URL"),
    ]:
        with pytest.raises(ValidationError) as info:
            webhook_url_check(url)
        assert fragment in " ".join(info.value.message_dict["url"]), url


def test_api_refuses_a_private_address_in_production_in_english(citizen, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client = client_for(citizen, scopes=["webhooks"])
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:8080/x", "events": ["dossier.status_changed"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "private" in response.json()["error"]["fields"]["url"][0]


def _subscribe(client, url, events=("dossier.status_changed", "dossier.supplement_requested")) -> dict:
    response = client.post("/api/v1/webhooks/", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_subscription_api_shows_the_secret_once(citizen, receiver):
    client = client_for(citizen, scopes=["webhooks"])
    created = _subscribe(client, receiver.url)
    assert created["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhooks/").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{created['id']}/").json()
    other = client_for(DossierFactory().applicant, scopes=["webhooks"])
    assert other.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{2**63 + 5}/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 204
    assert client.get("/api/v1/webhooks/").json()["count"] == 0


def test_status_change_is_delivered_signed(citizen, receiver, django_capture_on_commit_callbacks):
    client = client_for(citizen, scopes=["webhooks"])
    secret = _subscribe(client, receiver.url)["secret"]
    dossier = DossierFactory(applicant=citizen, supplement_requested=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(
            dossier=dossier, action="request_supplement", from_state="received", to_state="supplement_requested"
        )
    assert len(receiver.requests) == 2
    kinds = []
    for request in receiver.requests:
        timestamp = request.headers["x-portal-timestamp"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-portal-signature"] == f"sha256={expected}"
        assert abs(int(timestamp) - timezone.now().timestamp()) < 60
        body = json.loads(request.body)
        kinds.append(body["type"])
        assert body["data"]["dossier"]["code"] == dossier.code
        assert body["data"]["dossier"]["status_code"] == 5
    assert sorted(kinds) == ["dossier.status_changed", "dossier.supplement_requested"]
    deliveries = client.get(
        f"/api/v1/webhooks/{client.get('/api/v1/webhooks/').json()['results'][0]['id']}/deliveries/"
    )
    rows = deliveries.json()["results"]
    assert {r["state"] for r in rows} == {"succeeded"}
    assert rows[0]["attempt_log"][0]["status_code"] == 200


def test_others_dossiers_and_unsubscribed_events_are_not_delivered(
    citizen, receiver, django_capture_on_commit_callbacks
):
    _subscribe(client_for(citizen, scopes=["webhooks"]), receiver.url, events=["payment.settled"])
    mine = DossierFactory(applicant=citizen, received=True)
    someone_elses = DossierFactory(received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=mine, action="receive", from_state="submitted", to_state="received")
        event_append(dossier=someone_elses, action="payment_received", from_state="x", to_state="x")
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=mine, action="payment_received", payload={"amount": 50000})
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["payment.settled"]


def test_failures_back_off_exponentially_and_stop_after_24_hours(citizen, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500] * 50
    subscription, _secret = webhook_subscription_create(
        user=citizen, url=receiver.url, events=["dossier.status_changed"]
    )
    dossier = DossierFactory(applicant=citizen, received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == DeliveryState.RETRYING and delivery.attempts == 1 and delivery.last_status_code == 500
    assert [delivery_next_delay(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert delivery.next_attempt_at - delivery.created_at >= timedelta(seconds=59)
    assert webhooks_retry_due() == 0  # not due yet
    now = delivery.created_at
    while True:
        delivery.refresh_from_db()
        if delivery.state != DeliveryState.RETRYING:
            break
        now = delivery.next_attempt_at
        webhook_delivery_attempt(delivery_id=delivery.pk, now=now)
    assert delivery.state == DeliveryState.FAILED
    assert now - delivery.created_at <= timedelta(hours=24)
    assert delivery.attempt_log.count() == delivery.attempts >= 10
    assert set(delivery.attempt_log.values_list("status_code", flat=True)) == {500}
    # Replay from the admin: one more attempt, which now succeeds.
    receiver.statuses = []
    webhook_delivery_replay(delivery_id=delivery.pk)
    assert webhooks_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.last_status_code == 200


def test_unreachable_receiver_is_logged_as_an_error(citizen, django_capture_on_commit_callbacks):
    subscription, _ = webhook_subscription_create(
        user=citizen, url="http://127.0.0.1:9/closed", events=["dossier.status_changed"]
    )
    dossier = DossierFactory(applicant=citizen, received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    attempt = delivery.attempt_log.get()
    assert delivery.state == DeliveryState.RETRYING and attempt.status_code is None and "Error" in attempt.error


def test_admin_replay_action(admin_client, citizen, receiver):
    subscription, _ = webhook_subscription_create(user=citizen, url=receiver.url, events=["dossier.status_changed"])
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="dossier.status_changed",
        source="manual",
        payload={"type": "dossier.status_changed"},
        state=DeliveryState.FAILED,
        created_at=timezone.now(),
    )
    response = admin_client.post(
        "/admin/portal/webhookdelivery/", {"action": "replay_deliveries", "_selected_action": [delivery.pk]}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and len(receiver.requests) == 1


def test_listener_cache_follows_subscriptions(citizen, receiver, django_capture_on_commit_callbacks):
    """Whether anyone listens is cached; adding, pausing and deleting a subscription count at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import WebhookSubscription

    dossier = DossierFactory(applicant=citizen, received=True)

    def change() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
        return len(receiver.requests), sum("webhook" in q["sql"] for q in queries.captured_queries)

    change()  # fills the cache with "nobody listens"
    assert change() == (0, 0)  # answered from the cache: no webhook table read
    subscription = _subscribe(client_for(citizen, scopes=["webhooks"]), receiver.url)
    assert change()[0] == 1
    WebhookSubscription.objects.filter(pk=subscription["id"]).get().delete()
    assert change()[0] == 1  # nothing more delivered
    second = _subscribe(client_for(citizen, scopes=["webhooks"]), receiver.url)
    row = WebhookSubscription.objects.get(pk=second["id"])
    row.is_active = False
    row.save()
    assert change()[0] == 1  # the paused one hears nothing
    assert change() == (1, 0)  # and the answer is cached again
