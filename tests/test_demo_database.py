"""The zero-setup demo (`make run`) runs on SQLite: every migration must apply there too, and the
demo seed load, or `make run` and `make lighthouse` stop before the first page. (Migration 0024
once filled a column with PostgreSQL-only SQL; the suite, all on PostgreSQL, did not notice.)"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_the_demo_database_migrates_and_seeds_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        PORTAL_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    subprocess.run(["bash", "-c", "source scripts/run.sh && prepare_var_dir"], cwd=ROOT, env=env, check=True)
    for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        applied = {name for (name,) in db.execute("SELECT name FROM django_migrations WHERE app = 'dossiers'")}
        rules = db.execute("SELECT COUNT(*) FROM dossiers_indexrule").fetchone()[0]
        procedures = db.execute("SELECT COUNT(*) FROM procedures_procedure").fetchone()[0]
    latest = sorted(p.stem for p in (ROOT / "dossiers" / "migrations").glob("0*.py"))[-1]
    assert latest in applied and rules > 0 and procedures > 0
