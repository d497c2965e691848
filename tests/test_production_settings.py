"""Production settings: `check --deploy` is clean with a realistic environment, and start-up
fails loudly, naming the variable, when a secret or the host list is missing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "dichvucong.example.gov.vn"


def _production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a production process; None in overrides removes a variable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "SECURE_", "CSRF_", "LOG_")) and key not in {"DEBUG"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "EMAIL_HOST": "smtp.example.gov.vn",
            "SIGNING_KEY_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi10ZXN0LXNpZ25pbmcta2V5LTAwMDA=",
            "EVENT_CHAIN_KEYS": f"2026-12:{secrets.token_urlsafe(32)}",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _dotenv_defines(name: str) -> bool:
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    return any(line.strip().startswith(f"{name}=") for line in dotenv.read_text().splitlines())


def test_check_deploy_passes_with_a_realistic_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_rejects_a_weak_secret_key():
    # The same check fails when the key is short: the test above is not passing vacuously.
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EVENT_CHAIN_KEYS"])
def test_start_up_fails_without_a_required_variable(name):
    if _dotenv_defines(name):
        pytest.skip(f".env defines {name}; it would be read instead of the missing variable")
    result = _manage("check", env=_production_env(**{name: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EVENT_CHAIN_KEYS"])
def test_start_up_fails_with_an_empty_required_variable(name):
    result = _manage("check", env=_production_env(**{name: ""}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("value", ["no-colon-secret", "id-only:", "2026-12:ok,second-without-id"])
def test_start_up_fails_with_a_malformed_event_chain_key(value):
    result = _manage("check", env=_production_env(EVENT_CHAIN_KEYS=value))
    assert result.returncode != 0
    assert "EVENT_CHAIN_KEYS" in result.stderr.strip().splitlines()[-1]


def test_event_chain_keys_rotate_newest_first():
    code = "from dossiers.core.events import chain_keys; print(list(chain_keys()))"
    result = _manage(
        "shell", "-v", "0", "-c", code, env=_production_env(EVENT_CHAIN_KEYS="k2:new-secret,k1:old-secret")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['k2', 'k1']"


def test_start_up_fails_with_a_database_other_than_postgresql():
    # An SQLite or mistyped URL must not start a production process (it would even fall back
    # to Django's dummy backend for an unknown scheme).
    for url in ("sqlite:////tmp/portal.sqlite3", "postgress://typo@127.0.0.1/portal"):
        result = _manage("check", env=_production_env(DATABASE_URL=url))
        assert result.returncode != 0, url
        assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_production_settings_harden_https_cookies_and_logging():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER[0], "
        "s.LOGGING['handlers']['console']['formatter'], s.EMAIL_BACKEND, s.CSRF_TRUSTED_ORIGINS)"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=_production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "HTTP_X_FORWARDED_PROTO",
        "json",
        "django.core.mail.backends.smtp.EmailBackend",
        f"['https://{HOST}']",
    ]


def test_collectstatic_succeeds_under_production_settings(tmp_path):
    # The Dockerfile runs this at build time with dummy values; a vendored file that
    # references a missing one (e.g. a source map) would break the image build.
    env = _production_env(
        DJANGO_SETTINGS_MODULE="tests.production_manifest_settings",
        SECRET_KEY="build-only-not-a-secret",
        ALLOWED_HOSTS="localhost",
        DATABASE_URL="postgres://build@localhost:5432/build",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = _manage("collectstatic", "--no-input", env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_zalo_is_off_in_production_unless_configured():
    code = (
        "from django.conf import settings as s; from portal import zalo; "
        "print(zalo.zalo_enabled(), s.ZALO_SANDBOX, bool(s.ZALO_OA_SECRET_KEY), s.ZALO_ZNS_URL, s.ZALO_OA_MESSAGE_URL)"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=_production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "False",
        "False",
        "https://business.openapi.zalo.me/message/template",
        "https://openapi.zalo.me/v3.0/oa/message/cs",
    ]
    configured = _production_env(ZALO_ACCESS_TOKEN="t", ZALO_APP_ID="a", ZALO_OA_SECRET_KEY="k")  # noqa: S106
    result = _manage("shell", "-v", "0", "-c", code, env=configured)
    assert result.stdout.split()[:3] == ["True", "False", "True"]
