"""The request id follows a request into the tasks it enqueues, across the real Redis broker and
into a real worker process's JSON log lines: the id the trusted proxy sent, or the one the portal
made when the proxy sent none (or an invalid one)."""

import pytest

from portal.models import DeliveryStatus, NotificationDelivery
from tests.celery.conftest import broker_url, celery_broker, wait_for, worker_log_records
from tests.dossiers.factories import DossierFactory
from tests.dossiers.helpers import api_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("celery-worker")]

TASK = "portal.tasks.deliver_notification"


def _withdraw(dossier, **headers):
    """The applicant asks to withdraw through the API; the notice is enqueued on commit."""
    response = api_for(dossier.applicant).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "withdraw", "reason": "Nộp nhầm thủ tục"},
        format="json",
        **headers,
    )
    assert response.status_code == 200, response.content
    return response["X-Request-ID"]


def test_the_request_id_is_on_the_workers_log_lines_of_the_tasks_the_request_enqueued(
    smtp_server, start_worker, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]  # behind nginx, which sends $request_id
    handler, port = smtp_server()
    worker = start_worker(smtp_port=port, queues="notifications", log_format="json")
    given, other = DossierFactory(received=True), DossierFactory(received=True)
    with celery_broker(broker_url()):
        assert _withdraw(given, HTTP_X_REQUEST_ID="nginx-req-0123456789abcdef") == "nginx-req-0123456789abcdef"
        generated = _withdraw(other, HTTP_X_REQUEST_ID="not valid!")
    assert len(generated) == 32 and generated != "not valid!"
    sent = wait_for(
        lambda: NotificationDelivery.objects.filter(channel="email", status=DeliveryStatus.SENT).count() >= 2, 90
    )
    records = worker_log_records(worker)
    assert sent, records[-20:]
    assert len(handler.messages) == 2

    def task_lines(request_id):
        return [r for r in records if r.get("request_id") == request_id and TASK in r["message"]]

    for request_id in ("nginx-req-0123456789abcdef", generated):
        lines = task_lines(request_id)
        # Celery's own line for the run, written by the pool's child inside the task's context.
        assert any("succeeded" in r["message"] for r in lines), [r["message"] for r in records]
        assert all(r["logger"].startswith("celery") for r in lines)
    # Each task carries its own request's id, and the worker's lines outside a task carry none.
    ids = {r.get("request_id") for r in records if "succeeded" in r["message"] and TASK in r["message"]}
    assert ids == {"nginx-req-0123456789abcdef", generated}
    ready = [r for r in records if r["message"].endswith("ready.")]
    assert ready and all("request_id" not in r for r in ready)
