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
from django.conf import settings as django_settings

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
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "libmagic1", "poppler-utils"):
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
    for name in ("SECRET_KEY=", "ALLOWED_HOSTS=", "DATABASE_URL=", "EVENT_CHAIN_KEYS="):
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
    assert {".venv", ".env", "var", ".git", "deploy/nginx/certs"} <= ignored  # TLS keys stay out too


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((BASE_DIR / "compose.yaml").read_text())


APP_SERVICES = ("web", "worker-default", "worker-pdf", "worker-signing", "worker-notifications", "beat")
QUEUES = ("default", "pdf", "signing", "notifications")


def _default(value) -> str:
    """The value compose would use with nothing set: `${NAME:-default}` gives `default`, and a
    required `${NAME:?message}` gives `NAME` (what .env must set)."""
    value = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))
    return re.sub(r"\$\{([A-Z0-9_]+):\?[^}]*\}", r"\1", value)


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [_default(arg) for arg in command]


def test_compose_describes_the_production_topology(compose):
    assert set(compose["services"]) == {
        "nginx",
        *APP_SERVICES,
        "postgres",
        "postgres-replica",
        "redis",
        "minio",
        "minio-bucket",
    }
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["postgres-replica"]["image"] == compose["services"]["postgres"]["image"]
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert compose["services"]["nginx"]["image"].startswith("nginx:")


def test_only_nginx_publishes_ports(compose):
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"nginx"}
    targets = {_default(port).rsplit(":", 1)[1] for port in compose["services"]["nginx"]["ports"]}
    assert targets == {"80", "443"}
    assert compose["services"]["web"]["expose"] == ["8000"]


def test_app_services_share_image_environment_and_wait_for_their_backends(compose):
    services = compose["services"]
    app = [services[name] for name in APP_SERVICES]
    assert len({s["image"] for s in app}) == 1
    assert all(s["env_file"] == [".env"] for s in app)
    for service in app:
        for backend in ("postgres", "postgres-replica", "redis"):
            assert service["depends_on"][backend]["condition"] == "service_healthy"
        assert service["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
        assert service["networks"] == ["portal"]


def test_web_runs_several_stateless_replicas_behind_nginx(compose):
    web = compose["services"]["web"]
    assert int(_default(web["deploy"]["replicas"])) >= 2
    assert _command(web)[:2] == ["gunicorn", "portal.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in _command(web)
    nginx = compose["services"]["nginx"]
    assert nginx["environment"]["PORTAL_UPSTREAM"] == "web:8000"
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert "./deploy/nginx:/etc/nginx/portal:ro" in nginx["volumes"]
    assert nginx["command"] == ["/bin/sh", "/etc/nginx/portal/start.sh"]
    # The body limit follows the portal's: the same variable, with the portal's default.
    assert _default(nginx["environment"]["DOSSIER_MAX_TOTAL_SIZE"]) == str(django_settings.DOSSIER_MAX_TOTAL_SIZE)


def test_one_worker_service_per_queue_with_its_own_concurrency(compose):
    from portal.celery import app

    assert {queue.name for queue in app.conf.task_queues} == set(QUEUES)
    for queue in QUEUES:
        service = compose["services"][f"worker-{queue}"]
        command = _command(service)
        assert command[:4] == ["celery", "--app=portal", "--quiet", "worker"]
        assert f"--queues={queue}" in command
        assert f"--hostname={queue}@%h" in command
        concurrency = next(arg for arg in service["command"] if arg.startswith("--concurrency="))
        assert f"CELERY_{queue.upper()}_CONCURRENCY" in concurrency
        # The healthcheck pings this worker by the name it was given.
        assert service["environment"]["CELERY_QUEUE"] == queue
        assert "--destination=$${CELERY_QUEUE}@$$HOSTNAME" in service["healthcheck"]["test"][1]
        assert service["environment"]["STORAGE_BACKEND"] == "s3"


def test_exactly_one_beat(compose):
    beats = [name for name, service in compose["services"].items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    beat = compose["services"]["beat"]
    assert beat["deploy"]["replicas"] == 1
    assert "--scheduler=django_celery_beat.schedulers:DatabaseScheduler" in _command(beat)


def test_every_long_running_service_has_a_healthcheck_and_data_is_on_volumes(compose):
    services = compose["services"]
    for name, service in services.items():
        if service.get("restart") == "no":
            # A one-shot job: whoever needs it waits for it to finish.
            dependants = [s for s in services.values() if name in s.get("depends_on", {})]
            assert dependants, name
            assert all(s["depends_on"][name]["condition"] == "service_completed_successfully" for s in dependants)
        else:
            assert service["restart"] == "unless-stopped", name
            assert service["healthcheck"]["test"], name
    volumes = {name: services[name]["volumes"] for name in ("postgres", "postgres-replica", "redis", "minio")}
    assert "pgdata:/var/lib/postgresql/data" in volumes["postgres"]
    assert "pgreplica:/var/lib/postgresql/data" in volumes["postgres-replica"]
    assert "redisdata:/data" in volumes["redis"]
    assert "miniodata:/data" in volumes["minio"]
    assert {"pgdata", "pgreplica", "redisdata", "miniodata"} <= set(compose["volumes"])


def test_redis_keeps_an_append_only_file(compose):
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"


def test_postgres_streams_to_a_replica_the_portal_reads_reports_from(compose):
    services = compose["services"]
    primary = services["postgres"]
    assert "wal_level=replica" in primary["command"]
    init = next(v for v in primary["volumes"] if "/docker-entrypoint-initdb.d/" in v)
    init_script = (BASE_DIR / init.split(":")[0]).read_text()
    assert "WITH REPLICATION LOGIN" in init_script
    assert "host replication replicator samenet" in init_script
    replica = services["postgres-replica"]
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    start = next(v for v in replica["volumes"] if v.endswith("replica-start.sh:ro"))
    start_script = (BASE_DIR / start.split(":")[0]).read_text()
    assert "pg_basebackup" in start_script and "--write-recovery-conf" in start_script
    assert replica["entrypoint"][-1] == start.split(":")[1]
    assert "pg_is_in_recovery()" in replica["healthcheck"]["test"][1]
    environment = compose["x-portal"]["environment"]
    replica_url = urlparse(_default(environment["DATABASE_REPLICA_URL"]))
    assert (replica_url.hostname, replica_url.port, replica_url.path) == ("postgres-replica", 5432, "/portal")
    assert replica_url.password == "POSTGRES_PASSWORD"


def test_private_files_live_on_minio(compose):
    environment = compose["x-portal"]["environment"]
    assert environment["STORAGE_BACKEND"] == "s3"
    assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
    for name in ("S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION"):
        assert f"${{{name}" in environment[name]
    minio = compose["services"]["minio"]
    assert "minio" not in {name for name, s in compose["services"].items() if s.get("ports")}
    assert minio["environment"]["MINIO_ROOT_USER"] == environment["S3_ACCESS_KEY_ID"]
    bucket = compose["services"]["minio-bucket"]
    assert bucket["environment"]["S3_BUCKET"] == environment["S3_BUCKET"]
    assert 'mc mb --ignore-existing "store/$$S3_BUCKET"' in bucket["entrypoint"][-1]


def test_the_portal_believes_forwarded_addresses_from_the_compose_network_only(compose):
    subnet = compose["networks"]["portal"]["ipam"]["config"][0]["subnet"]
    assert compose["x-portal"]["environment"]["TRUSTED_PROXIES"] == subnet
    assert _default(subnet) == "172.28.0.0/24"
    assert all(service["networks"] == ["portal"] for service in compose["services"].values())


def test_env_example_names_the_required_production_variables():
    example = (BASE_DIR / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "CSRF_TRUSTED_ORIGINS",
        "EVENT_CHAIN_KEYS",
    } <= names
    assert {"POSTGRES_PASSWORD", "POSTGRES_REPLICATION_PASSWORD", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} <= names
    # Every ${NAME:?...} compose.yaml insists on is in the example.
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", (BASE_DIR / "compose.yaml").read_text()))
    assert required <= names, sorted(required - names)


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
        EVENT_CHAIN_KEYS=f"deploy-test:{secrets.token_urlsafe(32)}",
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
