"""Zero-setup settings for `make run`: SQLite, Celery's file-system broker, console email.

Nothing here needs a server: the database is a file, the broker is a folder, and the
cache is a folder, so the web process, the worker and beat share state without Redis.
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-8f2c1a")  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Dev-only key that encrypts signing keys at rest (never use it in production).
SIGNING_KEY_ENCRYPTION_KEYS = env.list(
    "SIGNING_KEY_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktc2lnbmluZy1rZXktY2hhbmdlLW1lLTA="]
)
# Dev-only key of the event chain's MAC (never use it in production).
EVENT_CHAIN_KEYS = env.list("EVENT_CHAIN_KEYS", default=["dev-1:dev-only-event-chain-key-change-me-71e0"])

VAR_DIR = Path(env("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(VAR_DIR / "celery" / "out"),
    "data_folder_out": str(VAR_DIR / "celery" / "out"),
    "processed_folder": str(VAR_DIR / "celery" / "processed"),
    "control_folder": str(VAR_DIR / "celery" / "control"),
    "store_processed": False,
}
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Online payment against the sandbox gateway, which speaks the real protocol from the other side.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_gateway"]  # noqa: F405
PAYMENT_SANDBOX = True
PAYMENT_MERCHANT_CODE = env("PAYMENT_MERCHANT_CODE", default="PORTALSANDBOX")
PAYMENT_SECRET = env("PAYMENT_SECRET", default="sandbox-only-secret-not-for-production")  # noqa: S105
PAYMENT_GATEWAY_URL = env("PAYMENT_GATEWAY_URL", default=SITE_URL.rstrip("/") + "/sandbox-gateway")  # noqa: F405

# Webhooks may be delivered to a receiver over plain http on this machine.
WEBHOOK_REQUIRE_HTTPS = False
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

# VNeID sign-in against the sandbox provider the portal serves itself (sandbox_vneid), through the
# same client code as against the real one; set VNEID_OIDC_ISSUER to use another provider.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_vneid"]  # noqa: F405
VNEID_SANDBOX = True
VNEID_OIDC_ISSUER = env("VNEID_OIDC_ISSUER", default=SITE_URL.rstrip("/") + "/sandbox-vneid")  # noqa: F405
VNEID_CLIENT_ID = env("VNEID_CLIENT_ID", default="portal-sandbox")
VNEID_CLIENT_SECRET = env("VNEID_CLIENT_SECRET", default="sandbox-only-vneid-secret-not-for-production")  # noqa: S105

# Once-only data from the sandbox national databases (sandbox_lgsp), over the same signed protocol.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox_lgsp"]  # noqa: F405
NATIONAL_DATA_SANDBOX = True
LGSP_URL = env("LGSP_URL", default=SITE_URL.rstrip("/") + "/sandbox-lgsp")  # noqa: F405
LGSP_CLIENT_ID = env("LGSP_CLIENT_ID", default="portal-sandbox")
LGSP_SECRET = env("LGSP_SECRET", default="sandbox-only-lgsp-secret-not-for-production")  # noqa: S105
NATIONAL_DATA_SOURCES = national_data_sources(LGSP_URL, LGSP_CLIENT_ID, LGSP_SECRET, LGSP_TIMEOUT)  # noqa: F405

# Zalo notices and the OA chatbot against the sandbox Zalo server `make run` starts
# (portal/zalo_sandbox.py, port ZALO_SANDBOX_PORT), which calls back our webhook signed as Zalo does.
ZALO_SANDBOX = True
ZALO_SANDBOX_PORT = env.int("ZALO_SANDBOX_PORT", default=8026)
ZALO_ACCESS_TOKEN = env("ZALO_ACCESS_TOKEN", default="sandbox-only-zalo-token-not-for-production")  # noqa: S105
ZALO_APP_ID = env("ZALO_APP_ID", default="sandbox-app")
ZALO_OA_SECRET_KEY = env("ZALO_OA_SECRET_KEY", default="sandbox-only-zalo-oa-secret-not-for-production")  # noqa: S105
ZALO_ZNS_URL = env("ZALO_ZNS_URL", default=f"http://127.0.0.1:{ZALO_SANDBOX_PORT}/message/template")
ZALO_OA_MESSAGE_URL = env("ZALO_OA_MESSAGE_URL", default=f"http://127.0.0.1:{ZALO_SANDBOX_PORT}/v3.0/oa/message/cs")
ZALO_ZNS_TEMPLATES = {  # noqa: F405 - sandbox template ids for every dossier notice
    event: {**entry, "template_id": entry["template_id"] or f"sandbox-{event}"}
    for event, entry in ZALO_ZNS_TEMPLATES.items()  # noqa: F405
}
