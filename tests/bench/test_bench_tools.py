"""Pieces of the benchmark harness: percentiles, the HTTP reader, the table, the bench URL."""

import socket
import threading

import pytest

from bench.__main__ import discover, format_figures
from bench.child import child_command, run_child
from bench.dbsetup import bench_database_url, smoke_database_url
from bench.loadgen import _read_response, drive, percentile


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def _pair(data: bytes):
    server, client = socket.socketpair()
    server.sendall(data)
    server.close()
    return client


def test_read_response_with_content_length_keeps_the_next_response():
    client = _pair(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\n")
    status, rest, closes = _read_response(client, b"")
    assert (status, rest, closes) == (200, b"HTTP/1.1 404 Not Found\r\n", False)


def test_read_response_chunked_and_connection_close():
    body = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    body += b"4\r\nabcd\r\n0\r\n\r\n"
    status, rest, closes = _read_response(_pair(body), b"")
    assert (status, rest, closes) == (503, b"", True)


def test_read_response_raises_when_the_server_hangs_up():
    with pytest.raises(ConnectionError):
        _read_response(_pair(b"HTTP/1.1 200 OK\r\nContent-Le"), b"")


def test_drive_stops_at_the_request_budget_against_a_tiny_server():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        result = drive(host="127.0.0.1", port=port, path="/", concurrency=1, duration=5, warmup=0, max_requests=20)
    finally:
        stop.set()
        thread.join(2)
        listener.close()
    assert result["requests"] == 20
    assert result["statuses"] == {"200": 20}
    assert result["connections"] == 20  # "Connection: close" makes the client reconnect
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_format_figures_prints_scenarios_as_a_table_and_flat_values_as_lines():
    text = format_figures(
        {
            "total": 12345.678,
            "a": {"req/s": 950.0, "status": "200"},
            "b": {"req/s": 12.5, "status": "404"},
            "notes": ["hello"],
        }
    )
    lines = text.splitlines()
    assert lines[0].split() == ["total", "12,346"]
    assert lines[1].split() == ["scenario", "req/s", "status"]
    assert lines[3].split() == ["a", "950.0", "200"]
    assert lines[4].split() == ["b", "12.50", "404"]
    assert lines[-1].strip() == "* hello"


def test_bench_database_is_derived_from_database_url(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    assert bench_database_url() == "postgres://postgres@127.0.0.1:5432/portal_bench"
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://u@db:5432/elsewhere")
    assert bench_database_url() == "postgres://u@db:5432/elsewhere"


def test_smoke_runs_never_use_the_full_runs_database(monkeypatch):
    """A full run fills the default bench database with a million dossiers; a smoke run of the
    same benchmark in `make test` goes to its own small one."""
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    assert smoke_database_url() == "postgres://postgres@127.0.0.1:5432/portal_bench_smoke"
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        raise SystemExit  # stop before a child really starts

    monkeypatch.setattr("bench.child.subprocess.run", fake_run)
    for smoke in (True, False):
        with pytest.raises(SystemExit):
            run_child("bench.bench_stats", 1, smoke=smoke, what="stats", database="default")
    assert [c[3] for c in commands] == ["--database=smoke", "--database=default"]
    assert child_command("bench.x", database=2000)[3] == "--database=2000"


def test_discover_finds_the_http_benchmark():
    assert "http" in discover()
