"""Debian's nginx as the benchmark's load balancer: a generated config on a free loopback port.

The request headers are the production ones (``deploy/nginx/proxy_params.conf``, the file
compose.yaml's nginx includes); the rest is the smallest config that balances over the given
gunicorn ports with keep-alive connections to them, as ``deploy/nginx/portal.conf.template`` does.
nginx is installed by ``make bench`` (scripts/system_packages.sh).
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROXY_PARAMS = BASE_DIR / "deploy" / "nginx" / "proxy_params.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed: run `bash scripts/system_packages.sh` (make bench does)")
    return found


def nginx_config(workdir: Path, *, port: int, upstream_ports: list[int]) -> Path:
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstream_ports)
    config = workdir / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "nginx-error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    client_max_body_size 64m;
    map $http_upgrade $portal_connection {{ default upgrade; "" ""; }}
    upstream portal_web {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://portal_web;
            include {PROXY_PARAMS};
        }}
    }}
}}
"""
    )
    return config


def start_nginx(workdir: Path, *, port: int, upstream_ports: list[int]) -> subprocess.Popen:
    config = nginx_config(workdir, port=port, upstream_ports=upstream_ports)
    binary = nginx_binary()
    error_log = workdir / "nginx-error.log"
    server = subprocess.Popen(
        [binary, "-p", f"{workdir}/", "-c", str(config), "-e", str(error_log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"nginx exited with {server.returncode}:\n{error_log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                stop_nginx(server)
                raise RuntimeError("nginx did not listen in 20 s") from None
            time.sleep(0.05)


def stop_nginx(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGQUIT)  # graceful: the master waits for its worker
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own process group (start_new_session)
        server.wait(timeout=5)
