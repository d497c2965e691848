"""Runs ``python -m bench --smoke`` in a child process, as ``make bench`` would, for the smoke tests."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def run_smoke(*only: str, timeout: int = 600) -> str:
    """The printed output of a smoke run of the named benchmarks (all when none); fails the test
    with the run's output when it does not exit cleanly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    args = [sys.executable, "-m", "bench", "--smoke", *(a for name in only for a in ("--only", name))]
    result = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout
