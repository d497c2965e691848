"""Running a benchmark's measuring part in a child process (a fresh interpreter with the test
settings and no pytest variables), whose last line of output is its figures as JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def run_child(module: str, *args, smoke: bool, what: str, timeout: float | None = None) -> dict:
    """``python -m <module> <args>``; its figures, or RuntimeError with the end of its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    result = subprocess.run(
        [sys.executable, "-m", module, *(str(a) for a in args)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout or (600 if smoke else 7200),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} benchmark failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
