"""`make run` (scripts/run.sh) prepares the folders the dev settings name under any PORTAL_VAR_DIR."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

DEV_FOLDERS = """
from django.conf import settings
import json
options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
print(json.dumps([
    *(options[k] for k in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")),
    settings.CACHES["default"]["LOCATION"],
    settings.STORAGES["default"]["OPTIONS"]["location"],
]))
"""


def _dev_env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_", "CELERY_"))}
    return env | {"DJANGO_SETTINGS_MODULE": "portal.settings.dev", "PORTAL_VAR_DIR": str(var_dir)}


def test_prepare_var_dir_makes_every_folder_the_dev_settings_use(tmp_path):
    var_dir = tmp_path / "elsewhere" / "var"
    env = _dev_env(var_dir)
    subprocess.run(
        ["bash", "-c", "source scripts/run.sh && prepare_var_dir"], cwd=ROOT, env=env, check=True, timeout=30
    )
    folders = json.loads(
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", DEV_FOLDERS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    assert len(folders) == 6
    for folder in folders:
        assert Path(folder).is_relative_to(var_dir), folder
        assert Path(folder).is_dir(), folder


def test_sourcing_run_sh_starts_nothing(tmp_path):
    result = subprocess.run(
        ["bash", "-c", "source scripts/run.sh && declare -F prepare_var_dir"],
        cwd=ROOT,
        env=_dev_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "prepare_var_dir"
    assert list(tmp_path.iterdir()) == []  # no migrate, no seed, no folders until asked
