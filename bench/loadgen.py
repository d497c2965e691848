"""A small HTTP/1.1 load generator: N threads, each on its own keep-alive connection.

Run in its own process (``python -m bench.loadgen --port P --path /x``) so that the load
does not share an interpreter with the server or the runner; prints one JSON object.
``--requests FILE`` replaces the single GET by a JSON list of requests (``method``, ``path``,
``headers``, ``body_b64``), which the connections take in turn: many tracking codes, a bearer
token, a multipart filing body.
Bounded twice: it stops after ``--duration`` seconds or ``--max-requests`` requests,
whichever comes first, and every socket operation has a timeout. Requests that start
during the ``--warmup`` seconds are sent but not counted.
"""

import argparse
import base64
import itertools
import json
import math
import socket
import sys
import threading
import time
from collections import Counter


def _read_response(sock: socket.socket, buf: bytes) -> tuple[int, bytes, bool]:
    """Reads one response; returns (status, bytes left over, server closes the connection)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the headers")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    closes = headers.get(b"connection") == b"close" or lines[0].startswith(b"HTTP/1.0")
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        while len(buf) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside the body")
            buf += chunk
        return status, buf[length:], closes
    if headers.get(b"transfer-encoding") == b"chunked":
        while True:
            while b"\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed before a chunk size")
                buf += chunk
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed inside a chunk")
                buf += chunk
            buf = buf[size + 2 :]
            if size == 0:
                return status, buf, closes
    # Neither length nor chunks: the body ends when the server closes.
    while sock.recv(65536):
        pass
    return status, b"", True


class _Worker(threading.Thread):
    def __init__(
        self, *, host, port, requests, offset, start_at, measure_from, stop_at, counter, max_requests, timeout
    ):
        super().__init__(daemon=True)
        self.host, self.port, self.requests, self.offset = host, port, requests, offset
        self.start_at, self.measure_from, self.stop_at = start_at, measure_from, stop_at
        self.counter, self.max_requests, self.timeout = counter, max_requests, timeout
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.connections = 0
        self.last_done = 0.0
        self.stride = 1

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        return sock

    def run(self) -> None:
        sock, buf = None, b""
        turn = self.offset
        while True:
            now = time.perf_counter()
            if now >= self.stop_at or next(self.counter) >= self.max_requests:
                break
            try:
                if sock is None:
                    sock, buf = self._connect(), b""
                sock.sendall(self.requests[turn % len(self.requests)])
                status, buf, closes = _read_response(sock, buf)
            except (OSError, ValueError, IndexError) as exc:
                self.errors[type(exc).__name__] += 1
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.01)  # a refused connection must not turn into a busy loop
                continue
            done = time.perf_counter()
            turn += self.stride
            if now >= self.measure_from:
                self.latencies.append(done - now)
                self.statuses[status] += 1
                self.last_done = done
            if closes:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = min(max(1, math.ceil(fraction * len(sorted_values))), len(sorted_values))
    return sorted_values[rank - 1]


def build_request(host: str, port: int, spec: dict) -> bytes:
    """One raw HTTP/1.1 request from ``{"method", "path", "headers", "body_b64"}``."""
    body = base64.b64decode(spec.get("body_b64") or "")
    headers = {
        "Host": f"{host}:{port}",
        "User-Agent": "portal-bench",
        "Accept": "text/html,application/json",
        "Accept-Language": "vi",
        **(spec.get("headers") or {}),
    }
    if body or spec.get("method", "GET") not in ("GET", "HEAD"):
        headers["Content-Length"] = str(len(body))
    head = f"{spec.get('method', 'GET')} {spec['path']} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


def drive(
    *,
    host: str,
    port: int,
    path: str = "/",
    concurrency: int,
    duration: float,
    warmup: float,
    max_requests: int,
    timeout: float = 5.0,
    requests: list[dict] | None = None,
) -> dict:
    raw = [build_request(host, port, spec) for spec in (requests or [{"method": "GET", "path": path}])]
    start = time.perf_counter()
    measure_from = start + warmup
    counter = itertools.count()
    workers = [
        _Worker(
            host=host,
            port=port,
            requests=raw,
            offset=n,
            start_at=start,
            measure_from=measure_from,
            stop_at=measure_from + duration,
            counter=counter,
            max_requests=max_requests,
            timeout=timeout,
        )
        for n in range(concurrency)
    ]
    for worker in workers:
        worker.stride = concurrency
        worker.start()
    for worker in workers:
        worker.join(warmup + duration + timeout + 5)
    latencies = sorted(x for w in workers for x in w.latencies)
    statuses: Counter = sum((w.statuses for w in workers), Counter())
    errors: Counter = sum((w.errors for w in workers), Counter())
    ended = max((w.last_done for w in workers), default=measure_from)
    elapsed = max(ended - measure_from, 1e-9)
    ms = 1000.0
    return {
        "path": (requests or [{"path": path}])[0]["path"],
        "concurrency": concurrency,
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": len(latencies) / elapsed if latencies else 0.0,
        "p50_ms": (percentile(latencies, 0.50) or 0.0) * ms,
        "p95_ms": (percentile(latencies, 0.95) or 0.0) * ms,
        "p99_ms": (percentile(latencies, 0.99) or 0.0) * ms,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "connections": sum(w.connections for w in workers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", help="one URL to GET")
    parser.add_argument("--requests", help="a JSON file: a list of requests to send in turn")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds sent but not counted")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    if not args.path and not args.requests:
        parser.error("--path or --requests is required")
    requests = None
    if args.requests:
        with open(args.requests, encoding="utf-8") as handle:
            requests = json.load(handle)
    result = drive(
        requests=requests,
        host=args.host,
        port=args.port,
        path=args.path or "/",
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        max_requests=args.max_requests,
        timeout=args.timeout,
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
