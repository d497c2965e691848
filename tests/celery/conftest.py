"""Helpers of the Celery tests: a real SMTP server (aiosmtpd), a real worker process on the
real Redis broker, and switching this process's Celery app to another broker."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class RecordingHandler:
    """Accepts every message and keeps it; can hold the first one until released."""

    def __init__(self, hold_first: bool = False):
        self.messages: list = []
        self.hold_first = hold_first
        self.holding = threading.Event()
        self.release = threading.Event()
        self._first_seen = False

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if self.hold_first and not self._first_seen:
            self._first_seen = True
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
            return "451 Requested action aborted: try again later"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (random free port); yields (handler, port)."""
    servers = []

    def start(hold_first: bool = False):
        handler = RecordingHandler(hold_first=hold_first)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append((controller, handler))
        return handler, controller.port

    yield start
    for controller, handler in servers:
        handler.release.set()
        controller.stop()


def broker_url() -> str:
    """This test process's own Redis database (flushed before each test) as the broker."""
    return settings.REDIS_URL


@contextmanager
def celery_broker(url: str):
    """Make this process's Celery app publish to ``url`` for real (no eager mode)."""
    from portal.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset()
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker():
    """Start a real worker (prefork, one child) on the given queues; stopped after the test."""
    workers = []

    def start(
        *, smtp_port: int, queues: str = "default,pdf,notifications", log_format: str = "text"
    ) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST_"))}
        redis_db = settings.REDIS_URL.rsplit("/", 1)[1]
        env.update(
            DJANGO_SETTINGS_MODULE="tests.celery.worker_settings",
            DATABASE_URL=_database_url(),
            CELERY_BROKER_URL=broker_url(),
            TEST_REDIS_DB_BASE=redis_db,
            TEST_REDIS_DB=redis_db,
            TEST_SMTP_PORT=str(smtp_port),
            CONN_MAX_AGE="0",
            LOG_FORMAT=log_format,
        )
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                queues,
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


def worker_children(worker: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def worker_output(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        return worker.communicate(timeout=20)[0][-4000:]
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate(timeout=10)[0][-4000:]


def worker_log_records(worker: subprocess.Popen) -> list[dict]:
    """Stop the worker and answer every JSON line it wrote (``log_format="json"``)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        output = worker.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        output = worker.communicate(timeout=10)[0]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
