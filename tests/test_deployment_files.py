"""The Dockerfile and compose.yaml, read as text and YAML: no Docker engine runs in CI, so
these checks hold the properties the README promises (pinned install, non-root, one image
for web, worker and beat)."""

import http.client
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = (BASE_DIR / "Dockerfile").read_text()
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        logical.append(current)
        current = ""
    assert not current, "Dockerfile ends with a line continuation"
    pairs = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        pairs.append((instruction.upper(), args.strip()))
    return pairs


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction, args in _dockerfile_instructions():
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, args))
    return stages


def test_dockerfile_is_multi_stage_on_python_311_slim_bookworm():
    instructions = _dockerfile_instructions()
    args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    froms = [a for i, a in instructions if i == "FROM"]
    assert len(froms) >= 2
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim-bookworm"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)
    assert froms[0].endswith("AS builder")


def test_dockerfile_installs_dependencies_only_from_the_lock_file():
    runs = " ".join(a for i, a in _dockerfile_instructions() if i == "RUN")
    installs = re.findall(r"pip install ([^&;]+)", runs)
    assert any("-r /tmp/requirements.lock" in cmd for cmd in installs)
    for cmd in installs:
        # Either the lock file or pip itself at the version the Makefile pins.
        assert "requirements.lock" in cmd or cmd.strip() == '"pip==26.3"', cmd
    assert "COPY requirements.lock" in " ".join(f"{i} {a}" for i, a in _dockerfile_instructions())
    makefile = (BASE_DIR / "Makefile").read_text()
    assert '"pip==26.3"' in makefile


def test_runtime_stage_has_weasyprint_libraries_and_runs_as_non_root():
    runtime = _stages()[-1]
    runs = " ".join(a for i, a in runtime if i == "RUN")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "libmagic1"):
        assert package in runs
    assert "fonts-" not in runs  # the PDFs' fonts ship with the project (static/fonts/)
    users = [a for i, a in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    # USER comes before the process starts and after everything that needs root.
    order = [i for i, _ in runtime]
    assert order.index("USER") > max(k for k, i in enumerate(order) if i == "RUN")


def test_runtime_stage_collects_static_files_with_production_settings():
    runtime = _stages()[-1]
    env = " ".join(a for i, a in runtime if i == "ENV")
    assert "DJANGO_SETTINGS_MODULE=portal.settings.production" in env
    collect = [a for i, a in runtime if i == "RUN" and "collectstatic" in a]
    assert collect
    for name in ("SECRET_KEY=", "ALLOWED_HOSTS=", "DATABASE_URL="):
        assert name in collect[0]


def test_image_exposes_8000_checks_health_and_runs_gunicorn():
    instructions = _dockerfile_instructions()
    assert ("EXPOSE", "8000") in instructions
    healthcheck = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert healthcheck and "/healthz" in healthcheck[0]
    cmd = [a for i, a in instructions if i == "CMD"][-1]
    assert cmd.startswith("[")
    argv = yaml.safe_load(cmd)  # exec form is a JSON array
    assert argv[:2] == ["gunicorn", "portal.wsgi:application"]
    assert "0.0.0.0:8000" in argv


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip() for line in (BASE_DIR / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".env", "var", ".git"} <= ignored


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((BASE_DIR / "compose.yaml").read_text())


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_web_worker_and_beat_share_image_environment_and_storage(compose):
    services = compose["services"]
    app = [services[name] for name in ("web", "worker", "beat")]
    assert len({s["image"] for s in app}) == 1
    assert all(s["env_file"] == [".env"] for s in app)
    assert all("private:/data/private" in s["volumes"] for s in app)
    for service in app:
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_commands(compose):
    services = compose["services"]
    assert _command(services["web"])[:2] == ["gunicorn", "portal.wsgi:application"]
    worker = _command(services["worker"])
    assert worker[:4] == ["celery", "--app=portal", "--quiet", "worker"]
    assert "--queues=default,pdf,signing,notifications" in worker
    beat = _command(services["beat"])
    assert beat[:4] == ["celery", "--app=portal", "--quiet", "beat"]
    assert "--scheduler=django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_compose_queues_match_the_celery_app():
    from portal.celery import app

    assert {queue.name for queue in app.conf.task_queues} == {"default", "pdf", "signing", "notifications"}


def test_every_compose_service_has_a_healthcheck_and_data_is_on_volumes(compose):
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert {"pgdata", "private"} <= set(compose["volumes"])


def test_env_example_names_the_required_production_variables():
    example = (BASE_DIR / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CSRF_TRUSTED_ORIGINS"} <= names
    assert "POSTGRES_PASSWORD" in names


def _settings_env_names() -> set[str]:
    names = set()
    for module in ("base.py", "production.py"):
        source = (BASE_DIR / "portal" / "settings" / module).read_text()
        names |= set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    return names


def test_readme_documents_every_environment_variable_the_settings_read():
    readme = (BASE_DIR / "README.md").read_text()
    table_names = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    missing = _settings_env_names() - table_names
    assert not missing, f"add these to the README's environment table: {sorted(missing)}"


def _healthcheck_code() -> str:
    healthcheck = next(a for i, a in _dockerfile_instructions() if i == "HEALTHCHECK")
    argv = yaml.safe_load(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert argv[:2] == ["python", "-c"]
    return argv[2]


def test_compose_web_healthcheck_is_the_image_healthcheck(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert test[3] == _healthcheck_code()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _production_server_env(redis_url: str) -> dict[str, str]:
    database = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=".example.gov.vn",
        # /healthz only runs SELECT 1: the maintenance database exists wherever PostgreSQL runs.
        DATABASE_URL=urlunparse(database._replace(path="/postgres")),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        WEB_CONCURRENCY="1",
        LOG_LEVEL="ERROR",
    )
    return env


def _wait_for_worker(server: subprocess.Popen, port: int, log: Path) -> None:
    """Until a worker has loaded the app and answers (the master accepts connections earlier)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/robots.txt", headers={"Host": "www.example.gov.vn", "X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise AssertionError(f"gunicorn never answered:\n{log.read_text()[-2000:]}")


@pytest.mark.parametrize(("broker_up", "healthy"), [(True, True), (False, False)])
def test_image_healthcheck_against_gunicorn_under_production_settings(tmp_path, broker_up, healthy):
    # The image's own CMD and HEALTHCHECK, run here with the port changed: the Host header
    # must pass ALLOWED_HOSTS, /healthz must escape the HTTPS redirect, and a broker that
    # does not answer must make the check fail.
    port = _free_port()
    redis_url = (
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0") if broker_up else f"redis://127.0.0.1:{_free_port()}/0"
    )
    env = _production_server_env(redis_url)
    cmd = [a for i, a in _dockerfile_instructions() if i == "CMD"][-1]
    argv = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in yaml.safe_load(cmd)]
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", *argv],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_worker(server, port, tmp_path / "gunicorn.log")
        check = subprocess.run(
            [sys.executable, "-c", _healthcheck_code().replace(":8000/", f":{port}/")],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
        log.close()
    server_log = (tmp_path / "gunicorn.log").read_text()
    if healthy:
        assert check.returncode == 0, check.stderr + server_log[-2000:]
        # Once Django is loaded, the worker's access lines are JSON too (production LOGGING).
        access = [json.loads(line) for line in server_log.splitlines() if '"logger": "gunicorn.access"' in line]
        assert any("GET /healthz" in record["message"] for record in access), server_log[-2000:]
    else:
        assert check.returncode != 0
        assert "503" in check.stderr


def test_every_make_target_the_readme_names_exists():
    makefile = (BASE_DIR / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", (BASE_DIR / "README.md").read_text()))
    assert {"run", "test", "install", "lint", "format", "messages", "bench", "lock"} <= named
    assert named <= targets, f"README names missing targets: {sorted(named - targets)}"
