"""Schemathesis' stateful run over the API: scenarios that follow the ``links`` the schema
declares (a filed dossier to its page, payments, withdrawal and tracking; a webhook to its
page, deliveries and removal; a list's first item to its page), in-process against the WSGI
app, as a citizen. Every answer must be no 5xx, a documented status and a body that matches
the schema. A short run here; ``FUZZ_LONG=1`` (``make fuzz``) runs many more scenarios."""

import os
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from portal.constants import API_TOKEN_SCOPES
from portal.services import api_token_create
from portal.services import webhooks as webhook_services
from portal.wsgi import application
from tests.api.conftest import a_request_of_its_own
from tests.dossiers.factories import DossierFactory
from tests.factories import UserFactory

LONG = os.environ.get("FUZZ_LONG") == "1"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _schema():
    loaded = schemathesis.openapi.from_dict(
        yaml.safe_load((Path(django_settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())
    )
    loaded.app = application
    return loaded


schema = _schema()


def test_the_schema_declares_links_that_point_at_real_operations():
    raw = yaml.safe_load((Path(django_settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())
    operation_ids = {op["operationId"] for ops in raw["paths"].values() for op in ops.values() if "operationId" in op}
    links = [
        link
        for ops in raw["paths"].values()
        for op in ops.values()
        for response in op.get("responses", {}).values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 10
    assert {link["operationId"] for link in links} <= operation_ids


def test_stateful_scenarios_follow_the_links(keep_the_test_connection, settings_rate, monkeypatch):
    citizen = UserFactory()
    DossierFactory(applicant=citizen, received=True)
    DossierFactory(applicant=citizen)
    scopes = [scope for scope in API_TOKEN_SCOPES if scope != "officer"]
    _token, raw = api_token_create(user=citizen, name="stateful", scopes=scopes)
    # Webhook hosts resolve to this machine: no lookup leaves it, and subscriptions succeed.
    monkeypatch.setattr(webhook_services, "host_addresses", lambda host, port: ["127.0.0.1"])
    followed: list[str] = []

    class Citizen(schema.as_state_machine()):
        def call(self, case, **kwargs):
            with a_request_of_its_own():
                return super().call(case, **kwargs)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {raw}"}}

        def after_call(self, response, case):
            followed.append(f"{case.method} {case.path} {response.status_code}")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Citizen.run(
        settings=settings(
            max_examples=300 if LONG else 8,
            stateful_step_count=8 if LONG else 4,
            deadline=None,
            database=None,
            derandomize=not LONG,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert followed  # the scenarios ran against the app


@pytest.fixture
def settings_rate(settings):
    settings.API_TOKEN_RATE = "100000/minute"
    settings.TRACKING_RATE_LIMIT = 100000
