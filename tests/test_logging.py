"""Logging: one JSON object per line under production settings, secrets scrubbed."""

import io
import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from portal.logging import JsonFormatter, RedactSecretsFilter, redact

BASE_DIR = Path(__file__).resolve().parent.parent
RAW_TOKEN = "dvc_Q2hhbmdlTWVJbW1lZGlhdGVseTEyMzQ1Njc4"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "LOG_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="logging-test-" + "x" * 50,
        EVENT_CHAIN_KEYS="k1:logging-test-chain-key",
        ALLOWED_HOSTS="dichvucong.example.gov.vn",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
    )
    return env


def _log_under_production(code: str) -> list[dict]:
    """Runs `code` (with `log` bound to a logger) in a production process; its JSON lines."""
    script = f"import logging\nlog = logging.getLogger('portal.probe')\n{code}\n"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_production_log_record_is_one_json_line_with_the_standard_fields():
    records = _log_under_production("log.warning('Hồ sơ %s đã quá hạn', '000.00.12.H48-261122-0001')")
    assert len(records) == 1
    record = records[0]
    assert record["level"] == "WARNING"
    assert record["logger"] == "portal.probe"
    assert record["message"] == "Hồ sơ 000.00.12.H48-261122-0001 đã quá hạn"
    stamp = datetime.fromisoformat(record["time"])
    assert stamp.utcoffset() is not None


def test_production_log_exception_stays_on_one_line():
    records = _log_under_production("try:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('boom')")
    assert len(records) == 1
    assert records[0]["level"] == "ERROR"
    assert "ZeroDivisionError" in records[0]["exc_info"]


def test_production_log_lines_are_redacted():
    records = _log_under_production(
        f"log.info('GET /api/v1/ Authorization: Bearer {RAW_TOKEN}')\n"
        "log.info('login form %s', 'email=a@example.com&password=hunter2-secret')"
    )
    text = json.dumps(records)
    assert RAW_TOKEN not in text
    assert "hunter2-secret" not in text
    assert records[1]["message"] == "login form email=a@example.com&password=***"


def _record(msg, *args) -> logging.LogRecord:
    return logging.LogRecord("portal.probe", logging.INFO, __file__, 1, msg, args or None, None)


def _filtered(msg, *args) -> str:
    record = _record(msg, *args)
    assert RedactSecretsFilter().filter(record) is True  # redacts, never drops
    return record.getMessage()


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"authorization:bearer {RAW_TOKEN}", RAW_TOKEN),
        (f"META {{'HTTP_AUTHORIZATION': 'Bearer {JWT}'}}", JWT),
        ("password=hunter2", "hunter2"),
        ('{"password": "correct horse"}', "correct"),
        ("new_password1=S3cret!pass&password2=S3cret!pass", "S3cret!pass"),
        ("oldpassword: 'tr0ub4dor'", "tr0ub4dor"),
        ("SECRET_KEY=abc123def456", "abc123def456"),
        (f"token issued {RAW_TOKEN} for citizen@example.com", RAW_TOKEN),
        (f"url=/api/?{RAW_TOKEN}", RAW_TOKEN),
    ],
)
def test_redact_removes_secrets_from_messages(message, secret):
    assert secret not in _filtered(message)
    assert "***" in _filtered(message)


@pytest.mark.parametrize(
    ("fmt", "args", "secret"),
    [
        ("request headers: %s", ({"Authorization": f"Bearer {JWT}"},), JWT),
        ("login %s with password=%s", ("citizen@example.com", "hunter2"), "hunter2"),
        ("created token %s", (RAW_TOKEN,), RAW_TOKEN),
        ("%(who)s used %(token)s", ({"who": "a", "token": RAW_TOKEN},), RAW_TOKEN),
    ],
)
def test_redact_removes_secrets_passed_as_arguments(fmt, args, secret):
    record = _record(fmt, *args)
    RedactSecretsFilter().filter(record)
    assert secret not in record.getMessage()
    assert record.args is None  # formatting later cannot bring the argument back


def test_redact_leaves_ordinary_messages_and_their_arguments_alone():
    record = _record("dossier %s received by %s", "000.00.12.H48-261122-0001", "reception@example.com")
    RedactSecretsFilter().filter(record)
    assert record.args == ("000.00.12.H48-261122-0001", "reception@example.com")
    assert record.getMessage() == "dossier 000.00.12.H48-261122-0001 received by reception@example.com"
    # A short dvc_ word is not a token; only the full-length prefix-and-secret form is.
    assert redact("dvc_demo is the prefix") == "dvc_demo is the prefix"


def test_json_formatter_with_filter_in_process():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.logging.json")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.error("token=%s failed", RAW_TOKEN)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert {"time", "level", "logger", "message"} <= data.keys()
    assert data["message"] == "token=*** failed"


def test_celery_worker_logs_json_lines_under_production(tmp_path, settings):
    # Celery installs its own text format unless told not to (CELERY_WORKER_HIJACK_ROOT_LOGGER).
    env = _production_env()
    env.update(REDIS_URL=settings.REDIS_URL, CELERY_BROKER_URL=settings.REDIS_URL, PYTHONWARNINGS="ignore")
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app=portal", "--quiet", "worker", "--pool=solo", "--queues=h-log-test"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "ready." not in log_path.read_text() and time.monotonic() < deadline:
                assert worker.poll() is None, log_path.read_text()
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    # Every line is JSON, except the "worker: Warm shutdown" notice Celery prints on SIGTERM.
    lines = [line for line in log_path.read_text().splitlines() if line.strip() and not line.startswith("worker: ")]
    assert all(line.startswith("{") for line in lines), "\n".join(lines)
    records = [json.loads(line) for line in lines]
    assert any(r["message"].endswith("ready.") and r["logger"].startswith("celery") for r in records)
