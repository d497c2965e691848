"""Settings for `make test`: the real PostgreSQL and Redis, fast hashing, captured email."""

import os

from .base import *  # noqa: F403
from .base import CACHES, env

# Each pytest-xdist worker gets its own Redis database, so flushing the cache between
# tests never disturbs another worker. TEST_REDIS_DB_BASE separates parallel runs.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_redis_db = env.int("TEST_REDIS_DB_BASE", default=1) + _worker
_redis_host = env("REDIS_URL", default="redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
REDIS_URL = f"{_redis_host}/{_redis_db}"
CACHES["default"]["LOCATION"] = REDIS_URL

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-3b9e4d"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="portal-test")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/tmp/portal-test-private"},  # noqa: S108
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_AUTOREFRESH = True
