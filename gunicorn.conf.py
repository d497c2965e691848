"""gunicorn's hooks for the portal, read by gunicorn from its working directory (the image's
``/app``, the checkout for `bench/`); the options themselves stay on the command line.

With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus-client's multiprocess mode, see
`portal.metrics`): the master empties the directory when it starts, so no file of an earlier
run is summed, and when a worker dies (killed, timed out, recycled by ``--max-requests``) it
marks it dead, so its live gauges (``portal_requests_in_progress``) leave the sum. Its counters
and histograms stay: they are totals of the host.

This file is loaded by the master before Django: it imports nothing of the portal.
"""

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server) -> None:
    directory = _multiproc_dir()
    if directory is None:
        return
    if directory.exists():
        for entry in directory.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if _multiproc_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
