"""HTTP throughput and latency of the portal under gunicorn, compared with its own ceiling.

Starts gunicorn (2 sync workers, as many as a small production host) with
``portal.settings.bench`` on a free loopback port against the benchmark database
(``bench.database``, topped up to ``BENCH_DOSSIERS`` dossiers, 1,000,000 by default; 2,000
with ``--smoke``), then drives each scenario from a separate load-generator process
(``bench.loadgen``): the two ceiling views, public tracking by code (the API, over a
thousand codes spread across the table, each asked many times; and over 20,000 codes, each
asked about once, so that the public-answer cache does not help), the catalogue search, an
officer's worklists (the API, with a bearer token), the officer search by applicant name, by
ID number and by code and a filtered worklist (``/api/v1/officer/dossiers/``), filing a dossier with two small PDFs
through the API, and the statistics dashboard when it exists. Every scenario is reported as a fraction of the
single-read ceiling measured in the same run, so the figures compare across noisy runs and
machines. After the run: the codes of the filed dossiers are checked (no duplicate, no gap,
two stored documents each) and the resident memory of each web worker is read.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.child import child_command
from bench.dbsetup import default_total

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 2
READ_CEILING = "ceiling_pk_read"
SMOKE_DOSSIERS = 2_000
SEARCHES = ["dang+ky", "khai+sinh", "ket+hon", "giay+phep+xay+dung", "ho+kinh+doanh", "thuong+tru"]
# name -> the fixtures key holding its requests, or the URL of a plain GET
SCENARIOS = [
    ("ceiling_constant", "/_bench/constant"),
    (READ_CEILING, "/_bench/read/{pk}"),
    ("healthz", "/healthz"),
    ("tracking", "fixtures:tracking"),
    ("tracking_spread", "fixtures:tracking_spread"),
    ("procedures_search", "fixtures:search"),
    ("worklist", "fixtures:worklist"),
    ("officer_search_name", "fixtures:officer_search_name"),
    ("officer_search_id", "fixtures:officer_search_id"),
    ("officer_search_code", "fixtures:officer_search_code"),
    ("worklist_filtered", "fixtures:worklist_filtered"),
    ("filing", "fixtures:filing"),
    ("stats", "fixtures:stats"),
]
TARGETS = {
    "tracking": "≥ 0.50 of ceiling_pk_read, p99 < 50 ms",
    "tracking_spread": "≥ 0.50 of ceiling_pk_read, p99 < 50 ms",
    "procedures_search": "p95 < 100 ms",
    "worklist": "p95 < 100 ms",
    "officer_search_name": "p95 < 100 ms",
    "officer_search_id": "p95 < 100 ms",
    "officer_search_code": "p95 < 100 ms",
    "worklist_filtered": "p95 < 100 ms",
    "filing": "≥ 100 dossiers/s, codes without gap or duplicate",
    "worker RSS": "< 200 MB",
}


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
        # Every look-up comes from 127.0.0.1: lift the per-address limit (the counting stays).
        TRACKING_RATE_LIMIT="1000000000",
        # One token drives each API scenario: lift its budget the same way (still counted).
        API_TOKEN_RATE="1000000000/minute",  # noqa: S106 - a rate, not a password
        # As in production: tasks go to the broker (no worker here), not run inside the request.
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BROKER_URL=broker_url(),
    )
    return env


def broker_url() -> str:
    """The test settings' Redis database (TEST_REDIS_DB, the one a test worker found, else
    TEST_REDIS_DB_BASE), which the bench may flush queues of."""
    host = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    return f"{host}/{int(os.environ.get('TEST_REDIS_DB') or os.environ.get('TEST_REDIS_DB_BASE', '1'))}"


def _purge_queues() -> None:
    """Drops the tasks the filing scenario enqueued (receipts, notifications): no worker runs them."""
    try:
        client = redis.Redis.from_url(broker_url())
        client.delete("default", "pdf", "signing", "notifications")
        client.close()
    except Exception:  # noqa: BLE001, S110 - leftover tasks are harmless, a missing Redis is reported elsewhere
        pass


def _prepare_database(dossiers: int, *, check_filing_since: float | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.bench", BENCH_VIEWS="1")
    command = child_command("bench.database", f"--dossiers={dossiers}", database=dossiers)
    if check_filing_since is not None:
        command.append(f"--check-filing={check_filing_since}")
    result = subprocess.run(
        command,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
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


def start_gunicorn(database_url: str, *, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with WORKERS sync workers on 127.0.0.1:``port``, in its own process group."""
    with log.open("w") as log_file:
        return subprocess.Popen(
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
            env=_server_env(database_url),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _drive(
    port: int, target, *, concurrency: int, duration: float, warmup: float, max_requests: int, workdir: Path
) -> dict:
    """``target``: a URL to GET, or a list of request specs (see ``bench.loadgen``)."""
    if isinstance(target, str):
        what = f"--path={target}"
    else:
        spec = workdir / f"requests-{len(list(workdir.iterdir()))}.json"
        spec.write_text(json.dumps(target))
        what = f"--requests={spec}"
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        f"--port={port}",
        what,
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


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", status, flags=re.MULTILINE)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE)
        if ppid and rss and int(ppid.group(1)) == master_pid:
            sizes.append(int(rss.group(1)) / 1024)
    return sorted(sizes)


def _targets(prepared: dict, pk: int) -> dict:
    fixtures = prepared.get("fixtures") or {}
    fixtures = {
        **fixtures,
        "search": [{"method": "GET", "path": f"/procedures/?q={q}", "headers": {}} for q in SEARCHES],
    }
    targets = {}
    for name, where in SCENARIOS:
        if where.startswith("fixtures:"):
            targets[name] = fixtures.get(where.removeprefix("fixtures:")) or None
        else:
            targets[name] = where.format(pk=pk)
    return targets


def serve_and_drive(
    prepared: dict, names: list[str], *, concurrency: int, duration: float, warmup: float, max_requests: int
) -> tuple[dict, dict]:
    """Starts gunicorn on ``prepared``'s database, drives each named scenario; returns
    (results by name, {"rss_mb": [...], "log": text, "filing_started": epoch})."""
    targets = _targets(prepared, prepared["read_pk"])
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    log = workdir / "gunicorn.log"
    extra: dict = {}
    server = start_gunicorn(prepared["database_url"], port=port, log=log)
    results = {}
    try:
        _wait_until_ready(server, port, log, deadline=time.monotonic() + 60)
        for name in names:
            if targets.get(name) is None:
                continue
            if name == "filing":
                extra["filing_started"] = time.time()
            results[name] = _drive(
                port,
                targets[name],
                concurrency=concurrency,
                duration=duration,
                warmup=warmup,
                max_requests=max_requests,
                workdir=workdir,
            )
        extra["rss_mb"] = worker_rss_mb(server.pid)
    finally:
        _stop(server)
        _purge_queues()
        extra["log"] = log.read_text()
        for leftover in workdir.iterdir():
            leftover.unlink(missing_ok=True)
        workdir.rmdir()
    return results, extra


def row(result: dict, ceiling: float | None, expected: set[str]) -> dict:
    ok = set(result["statuses"]) <= expected and bool(result["statuses"])
    return {
        "req/s": round(result["rps"], 1),
        "p50 ms": round(result["p50_ms"], 2),
        "p95 ms": round(result["p95_ms"], 2),
        "p99 ms": round(result["p99_ms"], 2),
        "ratio": round(result["rps"] / ceiling, 3) if ceiling and ok else None,
        "requests": result["requests"],
        "status": _status_label(result["statuses"], result["errors"]),
    }


def run(smoke: bool) -> dict:
    concurrency = int(os.environ.get("BENCH_HTTP_CONCURRENCY", 2 * WORKERS))
    duration = float(os.environ.get("BENCH_HTTP_SECONDS", 1.0 if smoke else 10.0))
    warmup = 0.3 if smoke else 2.0
    max_requests = 20_000 if smoke else 1_000_000
    dossiers = SMOKE_DOSSIERS if smoke else default_total()

    prepared = _prepare_database(dossiers)
    names = [name for name, _where in SCENARIOS]
    results, extra = serve_and_drive(
        prepared, names, concurrency=concurrency, duration=duration, warmup=warmup, max_requests=max_requests
    )
    server_log = extra["log"]
    for name in ("ceiling_constant", READ_CEILING):
        if set(results[name]["statuses"]) != {"200"}:
            raise RuntimeError(f"{name} did not answer 200: {results[name]}\n{server_log[-3000:]}")
    ceiling = results[READ_CEILING]["rps"]
    generated = prepared.get("generated") or {}
    figures: dict = {"dossiers": generated.get("dossiers")}
    notes = [
        f"gunicorn {WORKERS} sync workers on 127.0.0.1, {concurrency} client connections from a separate "
        f"process, {duration:g} s measured after {warmup:g} s of warm-up per scenario",
        "ratio = throughput / throughput of the single primary-key read ceiling measured in the same run",
    ]
    for name, where in SCENARIOS:
        if name not in results:
            figures[name] = {"req/s": None, "status": "—"}
            if name == "stats":
                notes.append("stats: no statistics dashboard under /api/v1/stats/ or /officer/stats/ yet — no figure")
            else:
                notes.append(f"{name}: nothing to send ({where}) — see the fixtures notes")
            continue
        result = results[name]
        figures[name] = row(result, ceiling, {"201"} if name == "filing" else {"200"})
        if "404" in result["statuses"] and name in ("healthz", "stats"):
            notes.append(f"{name}: {result['path']} answers 404 — not built yet, no figure")
        elif figures[name]["ratio"] is None:
            notes.append(f"{name}: {result['path']} did not answer only {'201' if name == 'filing' else '200'}")
    notes += (prepared.get("fixtures") or {}).get("notes", [])
    if "filing" in results and extra.get("filing_started"):
        check = _prepare_database(dossiers, check_filing_since=extra["filing_started"] - 1)["filing_check"]
        figures["filed dossiers"] = check["dossiers"]
        figures["filed codes"] = "no gap, no duplicate" if check["ok"] else f"PROBLEM: {check['problem']}"
        figures["filed documents stored"] = check["documents"]
    rss = extra.get("rss_mb") or []
    figures["worker RSS MB"] = " / ".join(f"{mb:.0f}" for mb in rss) or None
    if prepared.get("seed_error"):
        notes.append(f"seed_demo failed, the benchmark database has no demo data: {prepared['seed_error'][:200]}")
    notes += verdicts(figures, rss)
    figures["notes"] = notes
    return figures


def verdicts(figures: dict, rss: list[float]) -> list[str]:
    """One line per target: met or missed, with the figure."""
    lines = []

    def say(name: str, ok: bool | None, detail: str) -> None:
        mark = "—" if ok is None else ("MET" if ok else "MISSED")
        lines.append(f"target {name} ({TARGETS[name]}): {mark} — {detail}")

    for name in ("tracking", "tracking_spread"):
        track = figures.get(name) or {}
        if track.get("ratio") is not None:
            say(
                name,
                track["ratio"] >= 0.5 and track["p99 ms"] < 50,
                f"{track['ratio']:.2f}, p99 {track['p99 ms']} ms",
            )
        else:
            say(name, None, "no figure")
    for name in (
        "procedures_search",
        "worklist",
        "officer_search_name",
        "officer_search_id",
        "officer_search_code",
        "worklist_filtered",
    ):
        got = figures.get(name) or {}
        if got.get("ratio") is not None:
            say(name, got["p95 ms"] < 100, f"p95 {got['p95 ms']} ms")
        else:
            say(name, None, "no figure")
    filing = figures.get("filing") or {}
    if filing.get("ratio") is not None:
        codes_ok = figures.get("filed codes") == "no gap, no duplicate"
        say(
            "filing", filing["req/s"] >= 100 and codes_ok, f"{filing['req/s']} dossiers/s, {figures.get('filed codes')}"
        )
    else:
        say("filing", None, "no figure")
    say("worker RSS", bool(rss) and max(rss) < 200 if rss else None, f"{max(rss):.0f} MB" if rss else "not read")
    return lines
