"""Prometheus metrics of a running portal, at ``/metrics`` (prometheus-client).

Measured where they happen: request latency and 5xx answers by view (`RequestMetricsMiddleware`),
task failures by task (Celery's ``task_failure`` signal), signature and PDF rendering times
(`observe` around the signing and WeasyPrint calls). Read when Prometheus scrapes: Celery's queue
depth per queue (the Redis lists' lengths), the outbox backlog, and whatever other apps register
with `scrape_gauge_register` (the overdue dossiers) — nothing of it is kept in process memory.

Several gunicorn workers or Celery processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty
directory shared by the processes of one host, emptied at start), counters, histograms and the
live gauge of requests in progress are written there by every process and summed at scrape time
(prometheus-client's multiprocess mode); the hooks in ``gunicorn.conf.py`` empty the directory
when gunicorn starts and drop a dead worker's live gauges.

The endpoint answers only a bearer token equal to ``METRICS_TOKEN`` or a client address in
``METRICS_ALLOWED_NETWORKS``: else 401 (a token is configured) or 403.
"""

import contextlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable

import redis
from celery import signals as celery_signals
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from portal.api.middleware import client_ip
from portal.models import OutboxMessage

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "portal_request_duration_seconds",
    "Time to answer a request, by view.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS_IN_PROGRESS = Gauge(
    "portal_requests_in_progress",
    "Requests being answered now (summed over the host's live processes).",
    multiprocess_mode="livesum",
)
REQUEST_ERRORS = Counter("portal_request_errors_total", "Requests answered with a 5xx status, by view.", ["view"])
TASK_FAILURES = Counter("portal_task_failures_total", "Celery tasks that raised, by task.", ["task"])
SIGNATURE_SECONDS = Histogram(
    "portal_signature_seconds", "Time to sign a PDF (PAdES).", buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
)
PDF_RENDER_SECONDS = Histogram(
    "portal_pdf_render_seconds",
    "Time to render a PDF with WeasyPrint, by template.",
    ["template"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_scrape_gauges: dict[str, tuple[str, Callable[[], float]]] = {}


def scrape_gauge_register(name: str, documentation: str, read: Callable[[], float]) -> None:
    """A gauge read at scrape time (``read()`` answers the current value)."""
    _scrape_gauges[name] = (documentation, read)


@contextlib.contextmanager
def observe(histogram, **labels):
    """Time the block into ``histogram`` (with ``labels``), whether it succeeds or raises."""
    start = time.perf_counter()
    try:
        yield
    finally:
        (histogram.labels(**labels) if labels else histogram).observe(time.perf_counter() - start)


class RequestMetricsMiddleware:
    """Latency of every request and 5xx answers, labelled by the resolved view's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        with REQUESTS_IN_PROGRESS.track_inprogress():
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "<unresolved>"
        REQUEST_LATENCY.labels(view=view, method=request.method).observe(time.perf_counter() - start)
        if response.status_code >= 500:
            REQUEST_ERRORS.labels(view=view).inc()
        return response


@celery_signals.task_failure.connect
def _task_failed(sender=None, **_kwargs) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", str(sender))).inc()


def _queue_depths() -> dict[str, int]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in settings.CELERY_TASK_QUEUES_NAMES:
                pipe.llen(queue)
            return dict(zip(settings.CELERY_TASK_QUEUES_NAMES, pipe.execute(), strict=True))
    finally:
        client.close()


def _outbox_backlog() -> int:
    return OutboxMessage.objects.filter(published_at__isnull=True).count()


class ScrapeTimeCollector:
    """The gauges read when Prometheus scrapes: each one on its own, a failure costs only it."""

    def collect(self):
        try:
            depths = _queue_depths()
        except redis.RedisError:
            logger.warning("metrics: broker unreachable, no queue depth", exc_info=True)
            depths = {}
        queue = GaugeMetricFamily("portal_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        for name, depth in depths.items():
            queue.add_metric([name], depth)
        yield queue
        for name, (documentation, read) in {"portal_outbox_backlog": (
            "Outbox rows not yet published to the broker.", _outbox_backlog), **_scrape_gauges}.items():  # fmt: skip
            try:
                value = read()
            except Exception:  # a metric never breaks the scrape
                logger.warning("metrics: %s could not be read", name, exc_info=True)
                continue
            yield GaugeMetricFamily(name, documentation, value=value)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(ScrapeTimeCollector())
    return registry


class _ProcessMetrics:
    """This process's own counters and histograms (the default registry), without multiprocess mode."""

    def collect(self):
        yield from REGISTRY.collect()


def _allowed(request) -> int:
    """200 when the caller may scrape, else the status to answer (401 or 403)."""
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return 200
    address = client_ip(request)
    if address and any(ipaddress.ip_address(address) in network for network in _networks()):
        return 200
    return 401 if token else 403


def _networks():
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.METRICS_ALLOWED_NETWORKS]


@require_GET
def metrics_view(request):
    status = _allowed(request)
    if status != 200:
        response = HttpResponse(
            "Không được phép đọc số đo. / Not allowed to read the metrics.\n",
            status=status,
            content_type="text/plain; charset=utf-8",
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
