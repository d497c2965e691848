"""Production settings: every secret comes from the environment, HTTPS everywhere.

Start-up fails with ImproperlyConfigured when SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL or
EVENT_CHAIN_KEYS is missing, rather than running with a guessed value.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured("SECRET_KEY and ALLOWED_HOSTS must be set in production.")
# The audit chain's MAC keys ("id:secret", newest first): without one no event could be written
# or verified, so the process does not start.
EVENT_CHAIN_KEYS = env.list("EVENT_CHAIN_KEYS", default=[])
if not EVENT_CHAIN_KEYS or any(":" not in item or not item.split(":", 1)[1] for item in EVENT_CHAIN_KEYS):
    raise ImproperlyConfigured('EVENT_CHAIN_KEYS must be set in production ("id:secret", comma-separated).')
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASE_REPLICA_URL:  # noqa: F405
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL)  # noqa: F405
# No default: without it `check --deploy` fails (signing.E001) and the signing worker refuses
# to store or use a key. Not required at import, so the image build can collect static files.
SIGNING_KEY_ENCRYPTION_KEYS = env.list("SIGNING_KEY_ENCRYPTION_KEYS", default=[])
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # An unrecognised URL would otherwise give Django's dummy backend and start anyway.
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production (postgres://...).")
if STORAGE_BACKEND == "s3" and not (S3_BUCKET and S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY):  # noqa: F405
    raise ImproperlyConfigured(
        "STORAGE_BACKEND=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY in production."
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

LOG_FORMAT = env("LOG_FORMAT", default="json")
# Celery's worker and beat keep Django's LOGGING (one JSON line per event) instead of
# installing their own text format on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
# Once a gunicorn worker has loaded Django, its error and access lines go through the same
# handler: JSON, with secrets redacted (a token in a query string included).
for _name in ("gunicorn.error", "gunicorn.access"):
    LOGGING["loggers"][_name] = {"handlers": ["console"], "level": "INFO", "propagate": False}  # noqa: F405
