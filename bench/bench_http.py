"""HTTP throughput and latency of the portal under gunicorn, compared with its own ceiling.

Starts gunicorn (2 sync workers, as many as a small production host) with
``portal.settings.bench`` on a free loopback port against the benchmark database
(``bench.database``), then drives each scenario from a separate load-generator process
(``bench.loadgen``). The two ceiling views show what the request cycle alone and one
primary-key read cost on this machine; every other scenario is reported as a fraction of
the single-read ceiling, so the figures compare across machines.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 2
READ_CEILING = "ceiling_pk_read"
SCENARIOS = [
    ("ceiling_constant", "/_bench/constant"),
    (READ_CEILING, "/_bench/read/{pk}"),
    ("healthz", "/healthz"),
    ("procedures_search", "/procedures/?q=dang+ky"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.bench",
        BENCH_VIEWS="1",
        DATABASE_URL=database_url,
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare_database() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.bench", BENCH_VIEWS="1")
    result = subprocess.run(
        [sys.executable, "-m", "bench.database"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"preparing the benchmark database failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _get(port: int, path: str, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait_until_ready(server: subprocess.Popen, port: int, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if _get(port, "/_bench/constant") == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own process group (start_new_session)
        server.wait(timeout=5)


def _drive(port: int, path: str, *, concurrency: int, duration: float, warmup: float, max_requests: int) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        f"--port={port}",
        f"--path={path}",
        f"--concurrency={concurrency}",
        f"--duration={duration}",
        f"--warmup={warmup}",
        f"--max-requests={max_requests}",
    ]
    result = subprocess.run(
        command, cwd=BASE_DIR, capture_output=True, text=True, timeout=warmup + duration + 60, check=True
    )
    return json.loads(result.stdout)


def _status_label(statuses: dict[str, int], errors: dict[str, int]) -> str:
    parts = [f"{code}×{count}" if len(statuses) > 1 else code for code, count in statuses.items()]
    parts += [f"{name}×{count}" for name, count in errors.items()]
    return " ".join(parts) or "no answer"


def run(smoke: bool) -> dict:
    concurrency = int(os.environ.get("BENCH_HTTP_CONCURRENCY", 2 * WORKERS))
    duration = float(os.environ.get("BENCH_HTTP_SECONDS", 1.0 if smoke else 10.0))
    warmup = 0.3 if smoke else 2.0
    max_requests = 20_000 if smoke else 1_000_000

    prepared = _prepare_database()
    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                f"--workers={WORKERS}",
                f"--bind=127.0.0.1:{port}",
                "--no-control-socket",
                "--log-level=warning",
                "--timeout=30",
            ],
            cwd=BASE_DIR,
            env=_server_env(prepared["database_url"]),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(server, port, log, deadline=time.monotonic() + 30)
        results = {}
        for name, path in SCENARIOS:
            results[name] = _drive(
                port,
                path.format(pk=prepared["read_pk"]),
                concurrency=concurrency,
                duration=duration,
                warmup=warmup,
                max_requests=max_requests,
            )
    finally:
        _stop(server)
    server_log = log.read_text()
    log.unlink(missing_ok=True)

    for name in ("ceiling_constant", READ_CEILING):
        if set(results[name]["statuses"]) != {"200"}:
            raise RuntimeError(f"{name} did not answer 200: {results[name]}\n{server_log[-3000:]}")
    ceiling = results[READ_CEILING]["rps"]
    figures: dict = {}
    notes = [
        f"gunicorn {WORKERS} sync workers on 127.0.0.1, {concurrency} client connections from a separate "
        f"process, {duration:g} s measured after {warmup:g} s of warm-up per scenario",
        "ratio = throughput / throughput of the single primary-key read ceiling",
    ]
    for name, path in SCENARIOS:
        result = results[name]
        ok = set(result["statuses"]) == {"200"}
        figures[name] = {
            "req/s": round(result["rps"], 1),
            "p50 ms": round(result["p50_ms"], 2),
            "p95 ms": round(result["p95_ms"], 2),
            "p99 ms": round(result["p99_ms"], 2),
            "ratio": round(result["rps"] / ceiling, 3) if ceiling and ok else None,
            "requests": result["requests"],
            "status": _status_label(result["statuses"], result["errors"]),
        }
        if "404" in result["statuses"]:
            notes.append(f"{name}: {path.format(pk='…')} answers 404 — not built yet, no figure")
        elif not ok:
            notes.append(f"{name}: {path.format(pk='…')} did not answer only 200; figures are not comparable")
    if prepared.get("seed_error"):
        notes.append(f"seed_demo failed, the benchmark database has no demo data: {prepared['seed_error'][:200]}")
    figures["notes"] = notes
    return figures
