"""Settings shared by every environment.

All configuration is read here, once, from the environment (``environ.Env``); the
``dev``, ``test`` and ``production`` modules only change defaults and harden.
"""

import ipaddress
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
# Former keys, still accepted when checking what they signed (sessions, reset links, dossier
# PINs), so a key can be rotated without signing everyone out at once.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

PORTAL_NAME = env("PORTAL_NAME", default="Cổng Dịch vụ công")
PORTAL_PROVINCE = env("PORTAL_PROVINCE", default="Tỉnh Demo")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "csp",
    "portal",
    "procedures",
    "dossiers",
    "dossiers.petitions.apps.PetitionsConfig",
    "signing",
]

MIDDLEWARE = [
    "portal.request_id.RequestIdMiddleware",
    "portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.security_headers.PortalCSPMiddleware",
    "portal.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.language.LanguageByChoiceMiddleware",
    "portal.upload_policy.RequestBodyLimitMiddleware",
    "portal.request_guard.NulByteGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.security_headers.PrivatePagesNotStoredMiddleware",
    "portal.api.middleware.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.OfficerMFAMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context_processors.portal",
                "dossiers.context_processors.worklists",
                "dossiers.context_processors.rulebook",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL streaming replica for the reports (statistics, register exports, the public
# catalogue and statistics pages): read only inside `portal.db_router.replica_reads`; beyond
# DATABASE_REPLICA_MAX_LAG seconds behind, those reads go back to the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=30.0)


def replica_database(url: str) -> dict:
    """The ``replica`` alias: the same database as ``default``'s under test (``MIRROR``), quick to
    give up when the replica is down (the reports then read the primary)."""
    config = env.db_url_config(url)
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("OPTIONS", {})["connect_timeout"] = 3
    config["TEST"] = {"MIRROR": "default"}
    return config


if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL)
DATABASE_ROUTERS = ["portal.db_router.ReplicaRouter"]

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="portal"),
    }
}

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:account"
LOGOUT_REDIRECT_URL = "portal:home"

# django-allauth: email is the identity; its address must be verified.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PORTAL_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
# The client address (`portal.client_address`, allauth's through the adapter): X-Forwarded-For
# counts only when the connecting peer is one of these reverse proxies (comma-separated CIDRs,
# e.g. "10.0.0.0/8,172.16.0.0/12"); nobody by default, so a forged header changes nothing.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Failed logins slow the attacker down, never lock the owner out (`portal.login_guard`): a
# growing wait per client address and per account, counted in the cache (Redis). allauth's own
# failed-login limit is kept per address only, far above ours, as a backstop.
LOGIN_FREE_FAILURES = env.int("LOGIN_FREE_FAILURES", default=5)
ACCOUNT_RATE_LIMITS = {
    "login_failed": "60/m/ip",
    "login": "30/m/ip",
    "signup": "20/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "confirm_email": "3/10m/key",
}
# VNeID sign-in (Decree 69/2024, from 1 July 2024) over OpenID Connect (`portal.vneid`): the
# issuer (discovery at <issuer>/.well-known/openid-configuration), the portal's client id and
# secret there, and the level of assurance asked for by default (LoA1 or LoA2). With no issuer
# the VNeID button is hidden. Dev points at the sandbox provider the portal serves itself.
VNEID_OIDC_ISSUER = env("VNEID_OIDC_ISSUER", default="")
VNEID_CLIENT_ID = env("VNEID_CLIENT_ID", default="")
VNEID_CLIENT_SECRET = env("VNEID_CLIENT_SECRET", default="")
VNEID_ACR_VALUES = env("VNEID_ACR_VALUES", default="LoA1")
if VNEID_ACR_VALUES not in ("LoA1", "LoA2"):
    raise ImproperlyConfigured("VNEID_ACR_VALUES is LoA1 or LoA2.")
# Seconds before a request to VNeID (discovery, keys, token, userinfo) gives up.
VNEID_TIMEOUT = env.float("VNEID_TIMEOUT", default=10.0)
# The claims VNeID gives, by the profile field each fills. VNeID's own claim names are not in a
# text at hand here (looked for in public pages and documentation, not found): these are ASSUMED —
# the standard OpenID Connect ones plus "citizen_id" (số định danh cá nhân); the level of
# assurance is read from the standard "acr" claim, "LoA1"/"LoA2" (portal/vneid.py). A province
# changes the names here, not in the code.
VNEID_CLAIM_NAMES = {
    "citizen_id": "citizen_id",
    "full_name": "name",
    "date_of_birth": "birthdate",
    "sex": "gender",
    "phone": "phone_number",
    "email": "email",
    "permanent_address": "address",
}
# The sandbox VNeID provider (sandbox_vneid) is mounted only where this is True (dev).
VNEID_SANDBOX = False
SOCIALACCOUNT_ADAPTER = "portal.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"provider_class": "portal.vneid.VNeIDProvider", "OAUTH_PKCE_ENABLED": True}
}
# The identity is VNeID's; the e-mail address it gives is a contact, confirmed by a message but
# never a reason to block the sign-in, and never a way into another account (links need proof).
SOCIALACCOUNT_EMAIL_VERIFICATION = "optional"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = VNEID_TIMEOUT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PORTAL_NAME
MFA_RECOVERY_CODE_COUNT = 10
# An officer works (pages, API with a session, files, officer tokens) only from a session that
# passed the second factor within this many hours (`portal.second_factor`).
OFFICER_MFA_MAX_AGE_HOURS = env.int("OFFICER_MFA_MAX_AGE_HOURS", default=12)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files are private: no MEDIA_URL is ever served directly;
# every download goes through a permission-checked view.
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=BASE_DIR / "var" / "private")
# Where private files live: "filesystem" (PRIVATE_STORAGE_ROOT, one host) or "s3" (an
# S3-compatible object store — MinIO, Ceph, AWS — shared by every web host and worker).
STORAGE_BACKEND = env("STORAGE_BACKEND", default="filesystem")
S3_BUCKET = env("S3_BUCKET", default="")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", default="")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", default="")
S3_REGION = env("S3_REGION", default="us-east-1")
# Downloads are checked by the portal, then streamed through it ("stream"), or answered with
# a redirect to a presigned URL valid STORAGE_PRESIGNED_SECONDS ("presigned": the object
# store must then be reachable by the browsers at S3_ENDPOINT_URL).
STORAGE_DOWNLOADS = env("STORAGE_DOWNLOADS", default="stream")
STORAGE_PRESIGNED_SECONDS = env.int("STORAGE_PRESIGNED_SECONDS", default=60)
if STORAGE_BACKEND not in ("filesystem", "s3") or STORAGE_DOWNLOADS not in ("stream", "presigned"):
    raise ImproperlyConfigured("STORAGE_BACKEND is filesystem or s3; STORAGE_DOWNLOADS is stream or presigned.")


def s3_storage_options(*, bucket, endpoint_url, access_key, secret_key, region) -> dict:
    """django-storages' S3Storage options for the private files: never public, never overwritten."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region or None,
        "signature_version": "s3v4",
        # MinIO and most on-premises stores want path-style addresses (endpoint/bucket/key).
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": STORAGE_PRESIGNED_SECONDS,
        # Same as the file system: a name already taken gets a suffix, nothing is replaced.
        "file_overwrite": False,
    }


PRIVATE_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(
            bucket=S3_BUCKET,
            endpoint_url=S3_ENDPOINT_URL,
            access_key=S3_ACCESS_KEY_ID,
            secret_key=S3_SECRET_ACCESS_KEY,
            region=S3_REGION,
        ),
    }
    if STORAGE_BACKEND == "s3"
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT)},
    }
)
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
# Largest total size in bytes of the documents attached to one dossier (50 MB by default).
DOSSIER_MAX_TOTAL_SIZE = env.int("DOSSIER_MAX_TOTAL_SIZE", default=50 * 1024 * 1024)
# Previews of documents on the officer's page (page images rendered in the pdf queue): the
# first DOCUMENT_PREVIEW_MAX_PAGES pages, DOCUMENT_PREVIEW_WIDTH pixels wide, of files up to
# DOCUMENT_PREVIEW_MAX_BYTES (larger ones are downloaded, not previewed).
DOCUMENT_PREVIEW_MAX_PAGES = env.int("DOCUMENT_PREVIEW_MAX_PAGES", default=10)
DOCUMENT_PREVIEW_WIDTH = env.int("DOCUMENT_PREVIEW_WIDTH", default=1240)
# The apology letter (form 04) must be issued this many working minutes before the current
# appointment at the latest (0: any moment before it); see dossiers/core/apology.py.
APOLOGY_LEAD_WORKING_MINUTES = env.int("APOLOGY_LEAD_WORKING_MINUTES", default=0)
DOCUMENT_PREVIEW_MAX_BYTES = env.int("DOCUMENT_PREVIEW_MAX_BYTES", default=25 * 1024 * 1024)
# Photos of one paper taken with the camera on the documents step (issue 25): at most
# DOCUMENT_PHOTOS_MAX per document component, each at most DOCUMENT_PHOTO_MAX_SIZE bytes before
# they are merged into one PDF (which must then fit the component's own size limit).
DOCUMENT_PHOTOS_MAX = env.int("DOCUMENT_PHOTOS_MAX", default=20)
DOCUMENT_PHOTO_MAX_SIZE = env.int("DOCUMENT_PHOTO_MAX_SIZE", default=15 * 1024 * 1024)

# --- Upload policy (portal/upload_policy.py enforces every line of this block) ---
# A request body past this size is answered 413 before it is read (the proxy's
# client_max_body_size in deploy/nginx is the same figure: the dossier's total plus 1 MB).
REQUEST_BODY_MAX_SIZE = env.int("REQUEST_BODY_MAX_SIZE", default=DOSSIER_MAX_TOTAL_SIZE + 1024 * 1024)
# Django's own limits: the non-file part of a body kept in memory, files kept in memory
# before they spill to a temporary file, and the number of parts.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 100
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# PDFs carrying JavaScript, Launch/URI/submit actions, embedded files or XFA: "refuse" them,
# or "strip" them (the file is rewritten without that content and kept in its place).
UPLOAD_PDF_ACTIVE_CONTENT = env.str("UPLOAD_PDF_ACTIVE_CONTENT", default="refuse")
# Decompression limits of a PDF: total inflated bytes, and inflated-to-stored ratio.
UPLOAD_PDF_MAX_INFLATED_SIZE = env.int("UPLOAD_PDF_MAX_INFLATED_SIZE", default=200 * 1024 * 1024)
UPLOAD_PDF_MAX_INFLATION_RATIO = env.int("UPLOAD_PDF_MAX_INFLATION_RATIO", default=100)
# Pixels of an uploaded image, read from its header before any decoding (an A4 page scanned
# at 600 dpi is 35 million).
UPLOAD_IMAGE_MAX_PIXELS = env.int("UPLOAD_IMAGE_MAX_PIXELS", default=60_000_000)
# Antivirus: clamd's address ("tcp://host:3310" or "unix:///run/clamav/clamd.ctl"); empty = off.
CLAMD_ADDRESS = env.str("CLAMD_ADDRESS", default="")
CLAMD_TIMEOUT = env.int("CLAMD_TIMEOUT", default=30)
# --- end of the upload policy ---

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@dichvucong.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.TokenRateThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "portal.api.parsers.PortalMultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portal.api.exceptions.api_exception_handler",
}
# Requests per bearer token (DRF rate: "<n>/<second|minute|hour|day>"); beyond it 429 with Retry-After.
API_TOKEN_RATE = env("API_TOKEN_RATE", default="600/minute")
# How long a response is kept for replay under its Idempotency-Key (seconds).
API_IDEMPOTENCY_TTL = 24 * 3600
# Webhook targets: https only and never a private, loopback or link-local address (dev and
# test relax both, to deliver to a receiver on 127.0.0.1).
WEBHOOK_REQUIRE_HTTPS = True
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
WEBHOOK_TIMEOUT = 10
# A CA bundle (file path) that webhook receivers' certificates are checked against instead of
# the public roots (certifi), e.g. a provincial PKI; None for the public roots.
WEBHOOK_CA_BUNDLE = None
# The licence of the open-data files (/du-lieu-mo/): its address and its name, in the DCAT
# catalogue and on the public statistics page. Decree 47/2020/NĐ-CP, Article 18 (in force from
# 25 May 2020) sets the terms of use of state open data (free use and reuse, commercial too, with
# attribution) without naming a licence; CC BY 4.0 grants the same and is the default.
OPEN_DATA_LICENSE = env("OPEN_DATA_LICENSE", default="https://creativecommons.org/licenses/by/4.0/")
OPEN_DATA_LICENSE_NAME = env("OPEN_DATA_LICENSE_NAME", default="Creative Commons Attribution 4.0 (CC BY 4.0)")
# National public-service portal / LGSP dossier sync: disabled while the URL is empty.
NATIONAL_SYNC_URL = env("NATIONAL_SYNC_URL", default="")
NATIONAL_SYNC_TOKEN = env("NATIONAL_SYNC_TOKEN", default="")
# Once-only data (`portal.national_data`): the national databases reached through the provincial
# LGSP, each a configuration of endpoint, credentials and field mapping (portal field → answer
# key). Off while LGSP_URL is empty; dev and test point at the sandbox (sandbox_lgsp).
LGSP_URL = env("LGSP_URL", default="")
LGSP_CLIENT_ID = env("LGSP_CLIENT_ID", default="")
LGSP_SECRET = env("LGSP_SECRET", default="")
LGSP_TIMEOUT = env.float("LGSP_TIMEOUT", default=5.0)


# The LGSP's paths, field names and document names below are ASSUMED: the LGSP / NDXP message
# format is not in a text at hand here (looked for, not found). Change them here (or map them in
# a gateway) to the province's; portal/national_data.py holds the protocol, sandbox_lgsp the other side.
def national_data_sources(url: str, client_id: str, secret: str, timeout: float) -> dict:
    base = url.rstrip("/")
    common = {"client_id": client_id, "secret": secret, "timeout": timeout, "retries": 2}
    return {
        "population": {
            **common,
            "endpoint": f"{base}/population/lookup" if base else "",
            "document_endpoint": f"{base}/population/document" if base else "",
            # The portal's document name → the source's (portal.national_data.NATIONAL_DOCUMENTS).
            "documents": {"residence_confirmation": "xacNhanCuTru", "birth_record": "trichLucKhaiSinh"},
            "mapping": {
                "full_name": "hoVaTen",
                "date_of_birth": "ngaySinh",
                "sex": "gioiTinh",
                "permanent_address": "noiThuongTru",
                "relations": "quanHe",
            },
        },
        "business": {
            **common,
            "endpoint": f"{base}/business/lookup" if base else "",
            "mapping": {"name": "tenDoanhNghiep", "address": "diaChiTruSo", "legal_representative": "nguoiDaiDien"},
        },
    }


NATIONAL_DATA_SOURCES = national_data_sources(LGSP_URL, LGSP_CLIENT_ID, LGSP_SECRET, LGSP_TIMEOUT)
# True where the sources are the sandbox (dev, test): every answer shown is labelled so.
NATIONAL_DATA_SANDBOX = False
# Public tracking by code (page and API together): look-ups per client address per window.
TRACKING_RATE_LIMIT = env.int("TRACKING_RATE_LIMIT", default=30)
TRACKING_RATE_WINDOW = env.int("TRACKING_RATE_WINDOW", default=60)
# Petitions (phản ánh, kiến nghị) filed per caller (account, or address when anonymous) per window.
PETITION_RATE_LIMIT = env.int("PETITION_RATE_LIMIT", default=5)
PETITION_RATE_WINDOW = env.int("PETITION_RATE_WINDOW", default=3600)

SPECTACULAR_SETTINGS = {
    "TITLE": "Cổng Dịch vụ công — API",
    "DESCRIPTION": "API of the provincial public-service portal (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery: queues are fixed by the design (default, pdf, signing, notifications).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Hard faults (issue 23): every task is acknowledged after it ran and given back to the queue
# when its worker dies (`portal.celery.PortalTask`); the numbers below fit together:
# - a task runs at most CELERY_TASK_TIME_LIMIT seconds, and waits at most
#   CELERY_TASK_MAX_COUNTDOWN seconds for a retry (the base task's backoff is capped there);
# - Redis gives an unacknowledged message back after the visibility timeout: just above what a
#   live worker may hold one (countdown + run), so a hard-killed worker's task (SIGKILL, OOM,
#   node loss) runs again within about ten minutes, not an hour; the sweep that finds them runs
#   every CELERY_UNACKED_RESTORE_INTERVAL seconds;
# - on SIGTERM (with REMAP_SIGTERM=SIGQUIT in the workers' environment, as compose.yaml sets)
#   a worker lets running tasks finish for CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT seconds, then
#   gives the rest back to the queue and exits: within compose's stop_grace_period;
# - the outbox republishes a message whose task has not reported done after
#   OUTBOX_REDELIVER_AFTER seconds (a broker that lost its queue): after the visibility timeout,
#   so Redis's own redelivery comes first.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_MAX_COUNTDOWN = env.int("CELERY_TASK_MAX_COUNTDOWN", default=300)
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + CELERY_TASK_MAX_COUNTDOWN + 60
)
CELERY_UNACKED_RESTORE_INTERVAL = env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=30)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_INTERVAL,
    "unacked_restore_throttle": 1,
    # A publish never hangs on a broker gone silent (the outbox keeps the message instead).
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
}
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=15.0)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
OUTBOX_REDELIVER_AFTER = env.int("OUTBOX_REDELIVER_AFTER", default=CELERY_BROKER_VISIBILITY_TIMEOUT + 60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ["default", "pdf", "signing", "notifications"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks: defaults only. Beat's start (and seed_demo) adds the missing ones to the
# database schedule, where admins may change them; an existing entry is never overwritten.
CELERY_BEAT_SCHEDULE = {
    "dossiers-purge-stale-drafts": {
        "task": "dossiers.tasks.purge_stale_drafts",
        "schedule": crontab(hour=2, minute=30),
    },
    "dossiers-sweep-deadlines": {
        "task": "dossiers.tasks.sweep_deadlines",
        "schedule": 300.0,
    },
    "petitions-sweep-deadlines": {
        "task": "dossiers.petitions.tasks.sweep_petition_deadlines",
        "schedule": 300.0,
    },
    "dossiers-daily-digest": {
        "task": "dossiers.tasks.send_daily_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "portal-outbox-republish": {
        "task": "portal.tasks.outbox_republish",
        "schedule": 60.0,
    },
    "portal-outbox-purge": {
        "task": "portal.tasks.outbox_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    "dossiers-reconcile-payments": {
        "task": "dossiers.tasks.reconcile_payments",
        "schedule": 300.0,
    },
    "portal-webhooks-retry-due": {
        "task": "portal.tasks.webhooks_retry_due",
        "schedule": 60.0,
    },
    "portal-national-sync-retry-due": {
        "task": "portal.tasks.national_sync_retry_due",
        "schedule": 60.0,
    },
    "dossiers-rollup-stats": {
        "task": "dossiers.tasks.rollup_stats",
        "schedule": crontab(hour=0, minute=20),
    },
    "dossiers-publish-open-data": {
        "task": "dossiers.tasks.publish_open_data",
        "schedule": crontab(hour=1, minute=10),
    },
    "dossiers-refresh-live-stats": {
        "task": "dossiers.tasks.refresh_live_stats",
        "schedule": 60.0,
    },
    "dossiers-monthly-stats-reports": {
        "task": "dossiers.tasks.send_monthly_stats_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "signing-warn-expiring-certificates": {
        "task": "signing.tasks.warn_expiring_certificates",
        "schedule": crontab(hour=7, minute=0),
    },
    "signing-refresh-crls": {
        "task": "signing.tasks.refresh_crls",
        "schedule": crontab(minute=17),
    },
    "dossiers-anchor-event-chains": {
        "task": "dossiers.tasks.anchor_event_chains",
        "schedule": crontab(hour=0, minute=40),
    },
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Notifications: dotted path of the SMS backend (a gateway or Zalo OA integration class);
# the default only logs the messages.
NOTIFICATIONS_SMS_BACKEND = env("NOTIFICATIONS_SMS_BACKEND", default="portal.notifications.sms.LoggingSmsBackend")

# Zalo (portal/zalo.py): ZNS template notices and the Official Account tracking chatbot. Off
# while ZALO_ACCESS_TOKEN is empty (no Zalo channel offered; the webhook answers 404 while
# ZALO_OA_SECRET_KEY is empty). ZALO_APP_ID and ZALO_OA_SECRET_KEY verify the webhook's
# X-ZEvent-Signature; the URLs default to Zalo's real endpoints. Dev points at the sandbox.
ZALO_ACCESS_TOKEN = env("ZALO_ACCESS_TOKEN", default="")
ZALO_APP_ID = env("ZALO_APP_ID", default="")
ZALO_OA_SECRET_KEY = env("ZALO_OA_SECRET_KEY", default="")
ZALO_ZNS_URL = env("ZALO_ZNS_URL", default="https://business.openapi.zalo.me/message/template")
ZALO_OA_MESSAGE_URL = env("ZALO_OA_MESSAGE_URL", default="https://openapi.zalo.me/v3.0/oa/message/cs")
ZALO_TIMEOUT = env.float("ZALO_TIMEOUT", default=10.0)
# Webhook calls whose timestamp is further than this from now (seconds) are refused (replays).
ZALO_WEBHOOK_MAX_AGE = env.int("ZALO_WEBHOOK_MAX_AGE", default=300)
# True where the endpoints are the sandbox Zalo server (portal/zalo_sandbox.py): dev, test.
ZALO_SANDBOX = False
# Per notice event: the approved ZNS template id and its parameters (template parameter →
# notice context key). An event without a template id is not sent on Zalo. The ids come from
# the OA's ZNS console (JSON in ZALO_ZNS_TEMPLATES, same shape, replaces this default).
_ZNS_DOSSIER = {"ma_ho_so": "dossier_code", "ten_thu_tuc": "procedure", "duong_dan": "url"}
ZALO_ZNS_TEMPLATES = env.json(
    "ZALO_ZNS_TEMPLATES",
    default={
        "dossier.status_changed": {"template_id": "", "params": {**_ZNS_DOSSIER, "trang_thai": "status"}},
        "dossier.supplement_requested": {"template_id": "", "params": _ZNS_DOSSIER},
        "dossier.result_ready": {"template_id": "", "params": _ZNS_DOSSIER},
        "dossier.apology": {
            "template_id": "",
            "params": {**_ZNS_DOSSIER, "ly_do": "reason", "ngay_hen_moi": "new_due"},
        },
    },
)

# Prometheus metrics at /metrics: answered to a bearer token equal to METRICS_TOKEN, or to a
# client address in METRICS_ALLOWED_NETWORKS (comma-separated CIDRs); to nobody else.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
try:
    [ipaddress.ip_network(_cidr, strict=False) for _cidr in METRICS_ALLOWED_NETWORKS]
except ValueError as _error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_error}") from None
# Content-Security-Policy (django-csp): our own origin only, no inline script or style (a
# page that needs one gives it the request's nonce, `request.csp_nonce`). CSP_REPORT_ONLY=true
# sends it as Content-Security-Policy-Report-Only instead, to watch a change before enforcing it;
# CSP_REPORT_URI names where browsers report violations. The origins a form posts to through a
# redirect (payment gateway, VNeID) are added per request by portal.security_headers.
# (Read into private names: django-csp 4 refuses settings named like its 3.x ones, CSP_*.)
_csp_report_only = env.bool("CSP_REPORT_ONLY", default=False)
_csp_report_uri = env("CSP_REPORT_URI", default="")
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'", NONCE],
    "style-src": ["'self'", NONCE],
    # Bootstrap draws its form controls with data: SVG images; allauth shows the TOTP QR code as one.
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    # The service worker (/sw.js) and the manifest (/manifest.webmanifest) of the installable portal.
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
if _csp_report_uri:
    _CSP_DIRECTIVES["report-uri"] = [_csp_report_uri]
if _csp_report_only:
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# Logging: one JSON object per line when LOG_FORMAT=json (production default).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "portal.logging.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"redact": {"()": "portal.logging.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines (query strings included) through the redacting handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "celery": {"level": LOG_LEVEL},
    },
}

ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"

# Digital signatures (signing app). Fernet keys that encrypt private keys at rest, newest
# first (the first encrypts, all decrypt; `manage.py rotate_signing_keys` re-encrypts).
SIGNING_KEY_ENCRYPTION_KEYS = env.list("SIGNING_KEY_ENCRYPTION_KEYS", default=[])
# Time-stamping authority (RFC 3161): when set, signatures are PAdES B-T instead of B-B.
SIGNING_TSA_URL = env("SIGNING_TSA_URL", default="")
# Embed revocation data (PAdES B-LT); needs the OCSP/CRL services of the chain reachable.
SIGNING_PADES_LT = env.bool("SIGNING_PADES_LT", default=False)
# Ask the OCSP responders and CRL distribution points named in certificates (of chains that
# reach the trust store) when verifying and when signing B-LT, and refresh the trust store's
# CRLs hourly. Off: only the CRLs in the trust store count. Each request gives up after
# SIGNING_REVOCATION_TIMEOUT seconds; an unreachable service leaves the verdict unchanged.
SIGNING_REVOCATION_FETCH = env.bool("SIGNING_REVOCATION_FETCH", default=True)
SIGNING_REVOCATION_TIMEOUT = env.float("SIGNING_REVOCATION_TIMEOUT", default=5.0)
# Dotted path of the client class of the remote (two-phase) signing service, e.g. a CSC API client.
SIGNING_REMOTE_CLIENT = env("SIGNING_REMOTE_CLIENT", default="")

# Audit (dossiers.core.events): the keys of the events' HMAC-SHA-256 chain, kept outside the
# database, as "id:secret" items (comma-separated in the environment), newest first: new events
# use the first, verification accepts every listed key by its id (keep a former key listed as
# long as events carry its id). Production refuses to start without one.
EVENT_CHAIN_KEYS = env.list("EVENT_CHAIN_KEYS", default=[])
# The agency (by code) whose seal signs the daily anchor of every chain head; empty: the first
# top-level agency with an active seal.
EVENT_ANCHOR_AGENCY = env("EVENT_ANCHOR_AGENCY", default="")

# Online fee payment (dossiers.gateway): the merchant account at the payment gateway
# (VNPay-style redirect and IPN). No secret by default: without one no payment starts and
# every callback is refused. Dev and test point at the sandbox gateway instead.
PAYMENT_MERCHANT_CODE = env("PAYMENT_MERCHANT_CODE", default="")
PAYMENT_SECRET = env("PAYMENT_SECRET", default="")
PAYMENT_GATEWAY_URL = env("PAYMENT_GATEWAY_URL", default="")
# The sandbox gateway app (sandbox_gateway) is mounted only where this is True (dev, test).
PAYMENT_SANDBOX = False
