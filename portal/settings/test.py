"""Settings for `make test`: the real PostgreSQL and Redis, fast hashing, captured email."""

import os

from .base import *  # noqa: F403
from .base import CACHES, env

# Each pytest-xdist worker gets its own Redis database, so flushing the cache between
# tests never disturbs another worker. TEST_REDIS_DB_BASE separates parallel runs.
# A worker keeps the database it found in TEST_REDIS_DB for the processes its tests start (a
# bench server, a management command): they drop PYTEST_XDIST_WORKER with the other PYTEST_
# variables and would otherwise count their rate limits in worker gw0's database. Only a
# worker exports it: the xdist controller imports these settings too, and its workers, which
# inherit its environment, must each still find their own.
if "PYTEST_XDIST_WORKER" in os.environ:
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw") or 0)
    _redis_db = env.int("TEST_REDIS_DB_BASE", default=1) + _worker
    os.environ["TEST_REDIS_DB"] = str(_redis_db)
else:
    _redis_db = env.int("TEST_REDIS_DB", default=env.int("TEST_REDIS_DB_BASE", default=1))
_redis_host = env("REDIS_URL", default="redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
REDIS_URL = f"{_redis_host}/{_redis_db}"
CACHES["default"]["LOCATION"] = REDIS_URL

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-3b9e4d"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATIONS_SMS_BACKEND = env("NOTIFICATIONS_SMS_BACKEND", default="portal.notifications.sms.LocmemSmsBackend")
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="portal-test")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("TEST_PRIVATE_STORAGE", default="/tmp/portal-test-private")},  # noqa: S108
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_AUTOREFRESH = True
# A fixed Fernet key for the test suite only.
SIGNING_KEY_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LXNpZ25pbmcta2V5LTAwMDAwMDAwMDA="]

# Fixed keys of the event chain for the test suite only ("id:secret", the first signs).
EVENT_CHAIN_KEYS = ["test-1:test-only-event-chain-key-not-secret-5d1c"]

# Online payment against the sandbox gateway, which speaks the real protocol from the other side.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_gateway"]  # noqa: F405
PAYMENT_SANDBOX = True
PAYMENT_MERCHANT_CODE = env("PAYMENT_MERCHANT_CODE", default="PORTALSANDBOX")
PAYMENT_SECRET = env("PAYMENT_SECRET", default="sandbox-only-secret-not-for-production")  # noqa: S105
PAYMENT_GATEWAY_URL = env("PAYMENT_GATEWAY_URL", default="http://testserver/sandbox-gateway")

# Webhooks may be delivered to a receiver over plain http on this machine.
WEBHOOK_REQUIRE_HTTPS = False
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

# The sandbox VNeID provider is installed (its own tests use it); VNeID itself stays off unless a
# test sets VNEID_OIDC_ISSUER (the certified provider of tests/portal/vneid, or the sandbox).
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_vneid"]  # noqa: F405

# The sandbox national databases (sandbox_lgsp) are installed; once-only look-ups stay off unless
# a test points NATIONAL_DATA_SOURCES at them (a live server) or at a misbehaving server.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_lgsp"]  # noqa: F405
NATIONAL_DATA_SANDBOX = True
