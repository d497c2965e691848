"""Scale-out, measured: tracking and filing through nginx in front of two gunicorn processes,
beside the same scenarios on one process.

Each gunicorn process has ``bench_http.WORKERS`` sync workers (one web host of compose.yaml's
``web`` service); nginx (Debian's, ``bench.proxy``) balances over the two as compose's nginx does
over the replicas. The client connections are twice the workers served in each case, so both
sides are saturated. The figure is the throughput ratio, two processes behind nginx over one;
on a machine with fewer cores than workers plus the load generator, the ratio is bounded by
the cores, not by the portal (it keeps no state in a process: the filed codes stay gap-free).
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench import bench_http
from bench.dbsetup import default_total
from bench.proxy import start_nginx, stop_nginx

SCENARIOS = ("tracking", "filing")


def _drive_all(port: int, targets: dict, *, concurrency: int, duration: float, warmup: float, workdir: Path) -> dict:
    return {
        name: bench_http._drive(
            port,
            targets[name],
            concurrency=concurrency,
            duration=duration,
            warmup=warmup,
            max_requests=20_000 if duration < 5 else 1_000_000,
            workdir=workdir,
        )
        for name in SCENARIOS
        if targets.get(name)
    }


def measure(prepared: dict, *, duration: float, warmup: float) -> dict:
    """{"one": results by scenario, "nginx": results by scenario} on ``prepared``'s database."""
    targets = bench_http._targets(prepared, prepared["read_pk"])
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    servers = []
    proxy = None
    try:
        port = bench_http._free_port()
        servers.append(bench_http.start_gunicorn(prepared["database_url"], port=port, log=workdir / "one.log"))
        bench_http._wait_until_ready(servers[0], port, workdir / "one.log", deadline=_deadline())
        one = _drive_all(
            port, targets, concurrency=2 * bench_http.WORKERS, duration=duration, warmup=warmup, workdir=workdir
        )
        bench_http._stop(servers.pop())

        ports = [bench_http._free_port(), bench_http._free_port()]
        for n, upstream in enumerate(ports):
            log = workdir / f"pair-{n}.log"
            servers.append(bench_http.start_gunicorn(prepared["database_url"], port=upstream, log=log))
        for server, upstream, n in zip(servers, ports, range(2), strict=True):
            bench_http._wait_until_ready(server, upstream, workdir / f"pair-{n}.log", deadline=_deadline())
        front = bench_http._free_port()
        proxy = start_nginx(workdir, port=front, upstream_ports=ports)
        pair = _drive_all(
            front, targets, concurrency=4 * bench_http.WORKERS, duration=duration, warmup=warmup, workdir=workdir
        )
    finally:
        if proxy is not None:
            stop_nginx(proxy)
        for server in servers:
            bench_http._stop(server)
        bench_http._purge_queues()
        shutil.rmtree(workdir, ignore_errors=True)
    return {"one": one, "nginx": pair}


def _deadline() -> float:
    return time.monotonic() + 60


def run(smoke: bool) -> dict:
    duration = float(os.environ.get("BENCH_HTTP_SECONDS", 1.0 if smoke else 10.0))
    warmup = 0.3 if smoke else 2.0
    dossiers = bench_http.SMOKE_DOSSIERS if smoke else default_total()
    prepared = bench_http._prepare_database(dossiers)
    started = time.time()
    measured = measure(prepared, duration=duration, warmup=warmup)
    generated = prepared.get("generated") or {}
    figures: dict = {"dossiers": generated.get("dossiers")}
    expected = {"tracking": {"200"}, "filing": {"201"}}
    for name in SCENARIOS:
        one, pair = measured["one"].get(name), measured["nginx"].get(name)
        if one is None or pair is None:
            figures[f"{name} ratio (nginx + 2 / 1)"] = None
            continue
        figures[f"{name}_1_process"] = bench_http.row(one, None, expected[name])
        figures[f"{name}_nginx_2_processes"] = bench_http.row(pair, None, expected[name])
        ok = all(set(r["statuses"]) == expected[name] for r in (one, pair))
        figures[f"{name} ratio (nginx + 2 / 1)"] = round(pair["rps"] / one["rps"], 2) if ok and one["rps"] else None
    for key in list(figures):
        if isinstance(figures[key], dict):
            figures[key].pop("ratio", None)
    if measured["nginx"].get("filing"):
        check = bench_http._prepare_database(dossiers, check_filing_since=started - 1)["filing_check"]
        figures["filed dossiers"] = check["dossiers"]
        figures["filed codes"] = "no gap, no duplicate" if check["ok"] else f"PROBLEM: {check['problem']}"
    figures["notes"] = [
        f"gunicorn processes of {bench_http.WORKERS} sync workers each on 127.0.0.1; one process, then two behind "
        f"nginx (Debian's, 1 worker process, keep-alive upstream); client connections = 2 × workers served "
        f"({2 * bench_http.WORKERS}, then {4 * bench_http.WORKERS}); {duration:g} s measured after {warmup:g} s",
        f"{os.cpu_count()} CPUs shared by the load generator, nginx, gunicorn and PostgreSQL: the ratio is bounded "
        "by the cores of this machine, not by the portal",
    ]
    return figures
