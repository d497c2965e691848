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


# The xdist controller imports the settings (and has no worker id) before it starts the
# workers, which inherit its environment: each worker must still find its own database.
_CONTROLLER = """
import os, subprocess, sys
from django.conf import settings
urls = [settings.REDIS_URL]
for worker in ("gw0", "gw1"):
    worker_env = dict(os.environ, PYTEST_XDIST_WORKER=worker)
    code = "from django.conf import settings; print(settings.REDIS_URL)"
    run = subprocess.run([sys.executable, "-c", code], env=worker_env, capture_output=True, text=True, check=True)
    urls.append(run.stdout.strip())
print(" ".join(urls))
"""


def test_the_workers_of_a_run_keep_databases_of_their_own():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_REDIS_DB", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.test", TEST_REDIS_DB_BASE="20")
    result = subprocess.run(
        [sys.executable, "-c", _CONTROLLER], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    controller, gw0, gw1 = result.stdout.split()
    assert (controller[-3:], gw0[-3:], gw1[-3:]) == ("/20", "/20", "/21")


def test_this_process_uses_the_database_it_passes_on():
    passed_on = os.environ.get("TEST_REDIS_DB")
    if "PYTEST_XDIST_WORKER" in os.environ:
        assert passed_on == settings.REDIS_URL.rsplit("/", 1)[1]
    else:  # a run without workers (-n 0): its children compute the same database as it did
        assert passed_on is None or passed_on == settings.REDIS_URL.rsplit("/", 1)[1]
