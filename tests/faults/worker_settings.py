"""Settings of the fault tests' workers: those of tests/celery, with the fault timings scaled
down from minutes to seconds (the relations between them are production's, see
`portal.settings.base`)."""

from tests.celery.worker_settings import *  # noqa: F403
from tests.celery.worker_settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_VISIBILITY_TIMEOUT = 4
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
}
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 3.0
OUTBOX_REDELIVER_AFTER = 6
