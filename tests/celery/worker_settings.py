"""Settings of the real Celery workers started by tests/celery: the test settings, with the
broker, database and SMTP server the test gives through the environment."""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import LOG_FORMAT, env

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = env.int("TEST_SMTP_PORT", default=25)
# As in production: with JSON logs (LOG_FORMAT=json) Celery keeps the portal's log handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
