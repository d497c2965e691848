"""Running a benchmark's measuring part in a child process (a fresh interpreter with the test
settings and no pytest variables), whose last line of output is its figures as JSON.

``python -m bench.child [--database default|N] MODULE [ARGS...]`` is every child's entry: it
points the process at the benchmark database when asked (``bench.dbsetup``: the default one,
or the one sized for N dossiers), sets Django up, and only then imports ``MODULE`` and calls
its ``child(*ARGS)``; so each bench module imports the project at its top.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import django

from bench import dbsetup

BASE_DIR = Path(__file__).resolve().parent.parent


def child_command(module: str, *args, database: str | int | None = None) -> list[str]:
    """The command line that runs ``module``'s ``child(*args)`` in a fresh interpreter."""
    options = [f"--database={database}"] if database is not None else []
    return [sys.executable, "-m", "bench.child", *options, module, *(str(a) for a in args)]


def run_child(
    module: str, *args, smoke: bool, what: str, timeout: float | None = None, database: str | int | None = None
) -> dict:
    """``module.child(*args)`` in a child process; its figures, or RuntimeError with the end of its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    if smoke and database == "default":
        database = "smoke"  # never the full runs' database: `dbsetup.smoke_database_url`
    result = subprocess.run(
        child_command(module, *args, database=database),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout or (600 if smoke else 7200),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} benchmark failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.child", description=__doc__)
    parser.add_argument("--database", help="'default', 'smoke', or the number of dossiers the database is sized for")
    parser.add_argument("module")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    if options.database is not None:
        if options.database in ("default", "smoke"):
            dbsetup.use_database(smoke=options.database == "smoke")
        else:
            dbsetup.use_database(dossiers=int(options.database))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    importlib.import_module(options.module).child(*options.args)


if __name__ == "__main__":
    main()
