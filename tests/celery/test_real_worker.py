"""A real Celery worker, started as `make run` and production start it, runs our tasks.

No eager mode here: the task crosses the broker (Celery's file-system transport for the
zero-setup run, Redis for production) and is executed by a separate worker process.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.xdist_group("celery-worker")


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        PORTAL_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra,
    )
    # The folders as `make run` prepares them (scripts/run.sh), wherever PORTAL_VAR_DIR points.
    subprocess.run(["bash", "-c", "source scripts/run.sh && prepare_var_dir"], cwd=ROOT, env=env, check=True)
    return env


def _manage(env: dict, code: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def _run_ping_through_worker(env: dict) -> str:
    key = uuid.uuid4().hex
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            "default",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _manage(env, f"from portal.tasks import ping; ping.delay('{key}')")
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            value = _manage(env, f"from django.core.cache import cache; print(cache.get('ping:{key}') or '')")
            if value:
                return value
            time.sleep(1)
        worker.terminate()
        output = worker.communicate(timeout=10)[0]
        pytest.fail(f"the worker never ran the task; worker output:\n{output[-3000:]}")
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    return ""


def test_worker_runs_a_task_through_the_file_system_broker(tmp_path):
    ran_at = _run_ping_through_worker(_env(tmp_path))
    assert ran_at.startswith("20")
    # The message really went through the broker's folders, not an in-process shortcut.
    assert not list((tmp_path / "celery" / "out").iterdir()), "the message was left unconsumed"


def test_worker_runs_a_task_through_redis(tmp_path):
    redis_db = 15
    broker = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{redis_db}"
    ran_at = _run_ping_through_worker(_env(tmp_path, CELERY_BROKER_URL=broker))
    assert ran_at.startswith("20")
