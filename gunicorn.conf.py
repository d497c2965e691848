"""gunicorn's hooks for the portal, read by gunicorn from its working directory (the image's
``/app``, the checkout for `bench/`); the options themselves stay on the command line.

With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus-client's multiprocess mode, see
`portal.metrics`): the master removes, when it starts, the files of processes that no longer
run (an earlier run's), keeping those of live processes sharing the directory on this host (the
Celery workers, whose task failures and signing and PDF times the web's ``/metrics`` reads
there); and when a worker dies (killed, timed out, recycled by ``--max-requests``) it
marks it dead, so its live gauges (``portal_requests_in_progress``) leave the sum. Its counters
and histograms stay: they are totals of the host.

This file is loaded by the master before Django: it imports nothing of the portal.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process, alive
    return True


def on_starting(server) -> None:
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.glob("*.db"):
        pid = entry.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or not _running(int(pid)):
            entry.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    if _multiproc_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
