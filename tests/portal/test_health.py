"""/healthz reports the database and the broker, against the real PostgreSQL and Redis."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_broker_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "down"}}


@pytest.mark.django_db(transaction=True)
def test_database_down(client, monkeypatch):
    # Point the connection at a port where nothing listens: the check's own cursor fails.
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        monkeypatch.undo()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down", "broker": "ok"}}


@pytest.mark.django_db
def test_only_get(client):
    assert client.post("/healthz").status_code == 405
