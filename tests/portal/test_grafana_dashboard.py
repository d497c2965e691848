"""docs/grafana/portal.json: a Grafana dashboard whose every query names a metric (and labels) that
the portal's /metrics really answers, and that shows every metric the portal exposes."""

import json
import re
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app
from portal.metrics import PDF_RENDER_SECONDS, SIGNATURE_SECONDS, observe

pytestmark = pytest.mark.django_db
DASHBOARD = Path(django_settings.BASE_DIR) / "docs" / "grafana" / "portal.json"
TOKEN = "dashboard-test-token-0123456789"  # noqa: S105
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
ADDED_BY_PROMETHEUS = {"job", "instance"}


@app.task(name="tests.portal.dashboard_fails")
def dashboard_fails():
    raise ValueError("a real failure")


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def _queries(dashboard: dict) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in _panels(dashboard) for target in panel["targets"]]


def _panels(dashboard: dict) -> list[dict]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


@pytest.fixture
def exposed(settings, monkeypatch) -> dict[str, set[str]]:
    """Every series name /metrics answers after real traffic, with the labels it carries."""
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = settings.REDIS_URL  # this test run's own Redis database
    redis.Redis.from_url(settings.REDIS_URL).delete(*settings.CELERY_TASK_QUEUES_NAMES)
    client = Client(raise_request_exception=False)
    assert client.get("/procedures/").status_code == 200
    monkeypatch.setattr("procedures.views.selectors.procedure_in_force_by_code", lambda code: 1 / 0)
    assert client.get("/procedures/1.000001/").status_code == 500
    assert dashboard_fails.apply(throw=False).failed()
    with observe(PDF_RENDER_SECONDS, template="dossiers/pdf/receipt.html"):
        pass
    with observe(SIGNATURE_SECONDS):
        pass
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        if not family.name.startswith("portal_"):
            continue
        for suffix in SUFFIXES[family.type]:
            series.setdefault(family.name + suffix, set())
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


def test_the_dashboard_is_a_grafana_dashboard():
    dashboard = _dashboard()
    assert dashboard["uid"] and dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["time"] == {"from": "now-6h", "to": "now"}
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and 0 <= grid["x"] and grid["x"] + grid["w"] <= 24
        assert panel["type"] in {"row", "timeseries", "stat"}
    for panel in _panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
        assert panel["fieldConfig"]["defaults"]["unit"]
    titles = " | ".join(panel["title"] for panel in _panels(dashboard))
    for wanted in ("p50", "p95", "5xx", "queue depth", "Task failures", "Outbox", "Overdue", "Signing", "PDF"):
        assert wanted in titles


def test_every_query_names_what_metrics_exposes_and_every_metric_has_a_panel(exposed):
    used = set()
    for title, expr in _queries(_dashboard()):
        names = set(re.findall(r"\bportal_[a-z0-9_]+\b", expr))
        assert names, (title, expr)
        for name in names:
            assert name in exposed, f"{title}: {name} is not answered by /metrics"
        # The labels a query groups by are labels of the series it reads (plus le for buckets).
        for group in re.findall(r"\bby \(([^)]*)\)", expr):
            labels = {label.strip() for label in group.split(",")}
            carried = set().union(*(exposed[name] for name in names)) | ADDED_BY_PROMETHEUS
            assert labels <= carried, f"{title}: groups by {labels - carried}, not a label of {names}"
        for label in re.findall(r"\{([a-z_]+)=", expr):
            assert label in ADDED_BY_PROMETHEUS | set().union(*(exposed[name] for name in names)), (title, label)
        used |= names
    families = {re.sub(r"(_total|_bucket|_count|_sum|_created)$", "", name) for name in exposed}
    shown = {re.sub(r"(_total|_bucket|_count|_sum|_created)$", "", name) for name in used}
    assert families - shown == set(), "metrics without a panel"
    # The views and queues the panels split by are there for real.
    assert "view" in exposed["portal_request_duration_seconds_bucket"]
    assert "queue" in exposed["portal_celery_queue_depth"]
    assert "task" in exposed["portal_task_failures_total"]
    assert "template" in exposed["portal_pdf_render_seconds_bucket"]
