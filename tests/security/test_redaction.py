"""Issue 17, redaction: a tracking PIN, a token, a one-time code or a password never reaches a
log line — the JSON application log (Django's request log with its `request` field included),
runserver's request lines, gunicorn's access log and Celery's task records alike, query strings
and referrers included."""

import http.client
import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse, urlunparse

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from portal.gunicorn_logging import RedactingLogger
from portal.logging import JsonFormatter, RedactSecretsFilter, redact
from tests.dossiers.factories import DossierFactory

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PIN = "482913"
TOTP = "731204"
TOKEN = "dvc_" + "T" * 40
DOSSIER_CODE = "000.00.99.T99-261123-0042"
QUERY = f"code={DOSSIER_CODE}&pin={PIN}&token=opaque-{PIN}x"
SECRETS = (PIN, TOTP, TOKEN, f"opaque-{PIN}x")


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)


@pytest.fixture
def json_log():
    """The configured console handler (the LOGGING of the settings, its redact filter included),
    writing JSON into a buffer as in production; the lines it wrote."""
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    )
    stream, formatter = io.StringIO(), handler.formatter
    # The handler's stream is the stderr pytest gave when logging was configured; an earlier
    # test's capture may have closed it, so swap it without flushing it.
    old_stream, handler.stream = handler.stream, stream
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        handler.stream = old_stream
        handler.setFormatter(formatter)


@pytest.mark.django_db
def test_a_wrong_pin_in_the_query_string_is_not_logged(client, json_log):
    dossier = DossierFactory()
    response = client.get(f"/api/v1/track/{dossier.code}/", {"pin": PIN})
    assert response.status_code == 404
    records = [r for r in json_log() if r["logger"] == "django.request"]
    assert records, json_log()
    # Django logs the 404 with the request itself, whose text holds the query string.
    assert "request" in records[0] and "pin=***" in records[0]["request"]
    assert dossier.code in records[0]["request"]  # the dossier code is no secret and stays
    _assert_clean(json.dumps(records))


@pytest.mark.django_db
def test_runserver_request_lines_are_redacted(json_log):
    # Django's development server logs through "django.server" in this form.
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /track/?{QUERY} HTTP/1.1", "200", "1234")
    (record,) = [r for r in json_log() if r["logger"] == "django.server"]
    assert record["message"] == f'"GET /track/?code={DOSSIER_CODE}&pin=***&token=*** HTTP/1.1" 200 1234'


def test_celery_task_records_are_redacted(json_log):
    # Celery's trace logs a failure with the task's arguments in a `data` field.
    context = {"name": "dossiers.tasks.probe", "id": "1", "args": f"('{PIN}',)", "kwargs": {"pin": PIN, "code": TOTP}}
    logging.getLogger("celery.app.trace").error(
        "Task %(name)s[%(id)s] raised: %(kwargs)s", context, extra={"data": context}
    )
    (record,) = json_log()
    assert record["data"]["kwargs"] == {"pin": "***", "code": "***"}
    assert "'pin': '***'" in record["message"]
    assert record["data"]["args"] == f"('{PIN}',)"  # a bare positional value cannot be told apart
    record["data"].pop("args")
    _assert_clean(json.dumps(record))


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (f"GET /accounts/2fa/authenticate/?code={TOTP}", "/accounts/2fa/authenticate/?code=***"),
        (f"POST /accounts/2fa/authenticate/ code={TOTP}&csrfmiddlewaretoken=abc", "code=***&csrfmiddlewaretoken=***"),
        (f"/accounts/oidc/vneid/login/callback/?code=Zx-{TOTP}&state=s", "callback/?code=***&state=s"),
        (f"/organisations/invitations/{TOKEN}/", "/organisations/invitations/***/"),
        (f"/accounts/password/reset/key/1-{TOTP}-abc/", "/accounts/password/reset/key/***/"),
        (f"tracking_pin={PIN}", "tracking_pin=***"),
        (f"{{'pin': '{PIN}', 'totp': '{TOTP}'}}", "{'pin': '***', 'totp': '***'}"),
        (f"/track/?code={DOSSIER_CODE}", f"/track/?code={DOSSIER_CODE}"),
        ("procedure code=1.001612", "procedure code=1.001612"),
        ("status_code=404", "status_code=404"),
    ],
)
def test_one_time_codes_pins_and_path_secrets(line, kept):
    assert kept in redact(line)
    if kept not in line:
        _assert_clean(redact(line))


def _access_line(logger_class) -> str:
    cfg = Config()
    cfg.set("accesslog", "-")
    log = logger_class(cfg)
    stream = io.StringIO()
    for handler in log.access_log.handlers:
        handler.setStream(stream)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/track/?{QUERY}",
        "PATH_INFO": "/track/",
        "QUERY_STRING": QUERY,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://dichvucong.example.gov.vn/accounts/2fa/authenticate/?code={TOTP}",
        "HTTP_USER_AGENT": "probe",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("Content-Type", "text/html")])
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {TOKEN}")])
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(q)s %(U)s %({authorization}i)s')
    log.access(response, request, environ, timedelta(milliseconds=3))
    return stream.getvalue()


def test_gunicorns_own_access_logger_leaks_what_ours_masks():
    assert PIN in _access_line(GunicornLogger)  # the finding: gunicorn writes the query string as is
    line = _access_line(RedactingLogger)
    _assert_clean(line)
    assert f"/track/?code={DOSSIER_CODE}&pin=***&token=***" in line
    assert "/accounts/2fa/authenticate/?code=***" in line and "Bearer ***" in line


def _dockerfile_cmd() -> list[str]:
    text = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    cmd = [line for line in text.splitlines() if line.startswith("CMD ")][-1]
    return json.loads(cmd[4:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, **headers) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "www.example.gov.vn", "X-Forwarded-Proto": "https", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


def test_gunicorn_under_production_settings_logs_no_pin(tmp_path):
    """The image's CMD, run: a tracking look-up with a PIN in the query string and a one-time code
    in the referrer leaves neither in the access log nor in Django's JSON request log."""
    argv = _dockerfile_cmd()
    assert "portal.gunicorn_logging.RedactingLogger" in argv
    port = _free_port()
    argv = [a.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for a in argv]
    database = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        EVENT_CHAIN_KEYS=f"k1:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS=".example.gov.vn",
        DATABASE_URL=urlunparse(database._replace(path="/postgres")),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="INFO",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                if _get(port, "/robots.txt") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        referer = f"https://www.example.gov.vn/accounts/2fa/authenticate/?code={TOTP}"
        # A refused API call: Django logs the 4xx too (its JSON line carries the request).
        assert _get(port, f"/api/v1/dossiers/?{QUERY}", Referer=referer) in (401, 403)
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [r for r in lines if r["logger"] == "gunicorn.access" and "/api/v1/dossiers/" in r["message"]]
    assert access and f"/api/v1/dossiers/?code={DOSSIER_CODE}&pin=***&token=***" in access[0]["message"]
    assert any(r["logger"] == "django.request" and "pin=***" in r.get("request", "") for r in lines), text
    _assert_clean(text)
