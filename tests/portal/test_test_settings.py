"""The test settings' Redis database follows a test worker into the processes it starts.

A bench server or a management command started by a test drops the PYTEST_ variables, so it
cannot tell which xdist worker started it. Before TEST_REDIS_DB it fell back to worker gw0's
database, where its tracking look-ups (all from 127.0.0.1) counted against gw0's own tests: a
browser test on gw0 was told "Bạn đã tra cứu quá nhiều lần" in CI.
"""

import os
import subprocess
import sys

from django.conf import settings

from portal.settings.base import BASE_DIR

# A worker (gw5 of a run whose base is 20) imports the settings, then starts a child the way the
# bench does: without the PYTEST_ variables. Both print the Redis database they use.
_PARENT = """
import os, subprocess, sys
from django.conf import settings
print(settings.REDIS_URL)
child_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
child = subprocess.run(
    [sys.executable, "-c", "from django.conf import settings; print(settings.REDIS_URL)"],
    env=child_env, capture_output=True, text=True, check=True,
)
print(child.stdout.strip())
"""


def test_a_process_started_by_a_worker_uses_that_workers_redis_database():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_REDIS_DB", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.test", PYTEST_XDIST_WORKER="gw5", TEST_REDIS_DB_BASE="20")
    result = subprocess.run(
        [sys.executable, "-c", _PARENT], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    parent, child = result.stdout.split()
    assert parent.endswith("/25")
    assert child == parent


def test_this_worker_passes_its_database_on():
    assert os.environ["TEST_REDIS_DB"] == settings.REDIS_URL.rsplit("/", 1)[1]
