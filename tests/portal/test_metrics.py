"""/metrics (prometheus-client): what real requests, a real task failure and the scrape-time
gauges leave there, and who may read it (a bearer token or an allowed network); the request id
on the log lines of a request and in the headers of the tasks it publishes."""

import io
import logging

import pytest
from celery import signals as celery_signals
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app
from portal.logging import JsonFormatter
from portal.models import OutboxMessage
from portal.request_id import CELERY_HEADER, request_id_set
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db
TOKEN = "metrics-test-token-0123456789"  # noqa: S105


@app.task(name="tests.portal.metrics_fails")
def metrics_fails():
    raise ValueError("a real failure")


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return settings


def test_requests_errors_and_task_failures_are_counted(metrics, monkeypatch):
    client = Client(raise_request_exception=False)
    before = _scrape(client)
    assert client.get("/procedures/").status_code == 200
    monkeypatch.setattr("procedures.views.selectors.procedure_in_force_by_code", lambda code: 1 / 0)
    assert client.get("/procedures/1.000001/").status_code == 500
    # Run as a worker runs it (no propagation to the caller): Celery's task_failure fires.
    assert metrics_fails.apply(throw=False).failed()
    after = _scrape(client)
    latency = ("portal_request_duration_seconds_count", (("method", "GET"), ("view", "procedures:list")))
    assert after[latency] == before.get(latency, 0) + 1
    errors = ("portal_request_errors_total", (("view", "procedures:detail"),))
    assert after[errors] == before.get(errors, 0) + 1
    failures = ("portal_task_failures_total", (("task", "tests.portal.metrics_fails"),))
    assert after[failures] == before.get(failures, 0) + 1


def test_scrape_time_gauges_read_the_queues_the_outbox_and_the_overdue(metrics, settings):
    import redis
    from django.utils import timezone

    settings.CELERY_BROKER_URL = settings.REDIS_URL  # this test run's own Redis database
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("pdf", "signing")
    broker.rpush("pdf", "a", "b", "c")
    OutboxMessage.objects.create(task="x.y")
    DossierFactory(received=True, due_at=timezone.now() - timezone.timedelta(days=1))
    samples = _scrape(Client())
    broker.delete("pdf")
    assert samples[("portal_celery_queue_depth", (("queue", "pdf"),))] == 3
    assert samples[("portal_celery_queue_depth", (("queue", "signing"),))] == 0
    assert samples[("portal_outbox_backlog", ())] == 1
    assert samples[("portal_dossiers_overdue", ())] == 1


def test_only_the_token_or_an_allowed_network_may_scrape(settings):
    client = Client()
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = TOKEN
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert b"portal_" not in refused.content
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 401


def test_a_request_id_from_the_proxy_is_on_its_log_lines_and_answered(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="req-abc-12345678")
        generated = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="bad id!")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response["X-Request-ID"] == "req-abc-12345678"
    lines = stream.getvalue().splitlines()
    assert '"request_id": "req-abc-12345678"' in lines[0]
    assert generated["X-Request-ID"] != "bad id!" and len(generated["X-Request-ID"]) == 32
    # A peer that is not a trusted proxy cannot choose the id.
    outsider = Client(REMOTE_ADDR="203.0.113.9").get("/no-such-page/", HTTP_X_REQUEST_ID="req-abc-12345678")
    assert outsider["X-Request-ID"] != "req-abc-12345678" and len(outsider["X-Request-ID"]) == 32
    assert f'"request_id": "{generated["X-Request-ID"]}"' in lines[1]


def test_the_request_id_goes_into_the_published_task_headers_and_back_in_the_worker():
    """The publish path (before_task_publish) and the worker's side (task_prerun), through
    Celery's real message protocol: the message built by ``send_task`` carries the header, and
    a worker-side run of that message restores the id for the task's log lines."""
    published = {}

    def capture(headers=None, **_kwargs):
        published.update(headers)

    celery_signals.before_task_publish.connect(capture)
    token = request_id_set("req-task-87654321")
    try:
        with app.connection_for_write("memory://") as connection:
            app.send_task("tests.portal.metrics_fails", connection=connection)
    finally:
        request_id_set(None)
        celery_signals.before_task_publish.disconnect(capture)
    assert published[CELERY_HEADER] == "req-task-87654321"
    del token
