"""/metrics under gunicorn with two workers (prometheus-client's multiprocess mode): one scrape
answers the sum of both workers' counters and of another live process of the host sharing the
directory (as a Celery worker does), an earlier run's files are dropped at start, and a worker that dies in the middle of a request
(SIGKILL) leaves the live gauge of requests in progress through ``gunicorn.conf.py``'s
``child_exit`` hook, while its counters stay in the host's totals."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)
TOKEN = "metrics-multiprocess-token-0123456789"  # noqa: S105
LIST_COUNT = ("portal_request_duration_seconds_count", (("method", "GET"), ("view", "procedures:list")))
IN_PROGRESS = ("portal_requests_in_progress", ())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _samples(text: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _per_process(directory: Path, tmp_path: Path) -> dict[int, dict]:
    """Each process's own samples: its files alone, read by the same multiprocess collector."""
    pids = {int(file.stem.rsplit("_", 1)[1]) for file in directory.glob("*.db")}
    result = {}
    for pid in pids:
        alone = tmp_path / f"alone-{pid}"
        shutil.rmtree(alone, ignore_errors=True)
        alone.mkdir()
        for file in directory.glob(f"*_{pid}.db"):
            shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        result[pid] = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in registry.collect()
            for sample in family.samples
        }
    return result


# A process of the same host writing to the same directory (as a Celery worker counts a task
# failure), alive while gunicorn starts.
NEIGHBOUR = """
import sys
from prometheus_client import Counter
Counter("portal_task_failures_total", "Celery tasks that raised, by task.", ["task"]).labels(task="x.y").inc(3)
print("counted", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def gunicorn(tmp_path):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", NEIGHBOUR.replace("inc(3)", "inc(100)")],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    assert dead.stdout.strip() == "counted"  # an earlier run's file: removed when gunicorn starts
    neighbour = subprocess.Popen(
        [sys.executable, "-c", NEIGHBOUR],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert neighbour.stdout.readline().strip() == "counted"
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "PROMETHEUS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        METRICS_TOKEN=TOKEN,
        CONN_MAX_AGE="0",
    )
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "2", "--timeout", "120", "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        try:
            urllib.request.urlopen(f"{base}/procedures/", timeout=60)  # noqa: S310 - our own server
            if len(_children(server.pid)) == 2:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.3)
    yield base, server, multiproc
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
    log.close()
    neighbour.communicate(timeout=10)


def _scrape(base: str) -> dict:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
        return _samples(response.read().decode())


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
        return response.status


def test_one_scrape_sums_both_workers_and_a_dead_workers_live_gauge_leaves(gunicorn, tmp_path):
    base, server, multiproc = gunicorn
    assert len(list(multiproc.glob("counter_*.db"))) == 1  # the live neighbour's, not the dead one's
    workers = set(_children(server.pid))
    # Concurrent requests until both workers have answered some (each has its own files).
    with ThreadPoolExecutor(max_workers=4) as pool:
        # What the start-up probes left.
        sent = sum(s.get(LIST_COUNT, 0) for s in _per_process(multiproc, tmp_path).values())
        assert sent >= 1
        for _round in range(50):
            assert set(pool.map(_get, [f"{base}/procedures/"] * 8)) == {200}
            sent += 8
            counts = {pid: s.get(LIST_COUNT, 0) for pid, s in _per_process(multiproc, tmp_path).items()}
            if sum(1 for pid in workers if counts.get(pid, 0) > 0) == 2:
                break
    assert all(counts.get(pid, 0) > 0 for pid in workers), counts
    assert sum(counts.values()) == sent
    scraped = _scrape(base)
    assert scraped[LIST_COUNT] == sent  # the sum, not one worker's share
    assert scraped[LIST_COUNT] > max(counts.values())
    assert scraped[IN_PROGRESS] == 1  # the scrape itself
    assert scraped[("portal_task_failures_total", (("task", "x.y"),))] == 3  # the neighbour's, alone

    # A worker stuck in a request: a POST whose body never finishes blocks it in the CSRF check.
    stuck = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])))
    stuck.sendall(
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=a"
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        live = {pid: s.get(IN_PROGRESS, 0) for pid, s in _per_process(multiproc, tmp_path).items()}
        blocked = [pid for pid, value in live.items() if value == 1]
        if blocked:
            break
        time.sleep(0.1)
    assert len(blocked) == 1, live
    assert _scrape(base)[IN_PROGRESS] == 2  # the stuck request and the scrape (on the other worker)

    os.kill(blocked[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        list(multiproc.glob(f"gauge_livesum_{blocked[0]}.db")) or len(_children(server.pid)) < 2
    ):
        time.sleep(0.2)
    stuck.close()
    assert not list(multiproc.glob(f"gauge_livesum_{blocked[0]}.db"))
    after = _scrape(base)
    assert after[IN_PROGRESS] == 1  # only the scrape: the dead worker's request left the sum
    assert after[LIST_COUNT] == sent  # its counters stay in the host's totals
    assert (multiproc / f"histogram_{blocked[0]}.db").exists()
