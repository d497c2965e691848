"""scripts/system_packages.sh, the first step of `make test`: what it decides, run on a stub PATH.

The stub PATH holds only fake `dpkg-query` and `apt-get` (which record their arguments) and the
commands a test says are installed, so the decision is the script's alone.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "scripts" / "system_packages.sh"
COMMANDS = ("chromium", "pdftotext", "msgfmt", "envsubst", "fc-list", "softhsm2-util", "certutil")
DPKG_PACKAGES = ("nginx", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "libmagic1")

DPKG_QUERY = """#!/bin/bash
# dpkg-query -W -f=FORMAT PACKAGE...: "name=installed " for those in STUB_INSTALLED.
echo "$@" >> "$STUB_LOG.dpkg"
for package in "${@:3}"; do
  [[ " $STUB_INSTALLED " == *" $package "* ]] && printf '%s=installed ' "$package"
done
exit 0
"""
APT_GET = """#!/bin/bash
echo "$@" >> "$STUB_LOG"
"""


def _run(tmp_path, *args, commands=COMMANDS, installed=DPKG_PACKAGES, uid="0"):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("dpkg-query", DPKG_QUERY), ("apt-get", APT_GET), *((c, "#!/bin/bash\n") for c in commands)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "apt.log"
    env = {
        "PATH": str(bin_dir),
        "STUB_LOG": str(log),
        "STUB_INSTALLED": " ".join(installed),
        "SYSTEM_PACKAGES_UID": uid,
    }
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


@pytest.mark.parametrize("uid", ["0", "1000"])
def test_nothing_to_do_when_everything_is_there(tmp_path, uid):
    result, calls = _run(tmp_path, uid=uid)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert calls == []
    check, _ = _run(tmp_path, "--check")
    assert (check.returncode, check.stdout) == (0, "")
    # One dpkg-query for all the packages without a command, whatever the mode.
    assert len((tmp_path / "apt.log.dpkg").read_text().splitlines()) == 2


def test_check_lists_what_is_missing_and_installs_nothing(tmp_path):
    commands = [c for c in COMMANDS if c not in {"chromium", "certutil"}]
    installed = [p for p in DPKG_PACKAGES if p != "libmagic1"]
    result, calls = _run(tmp_path, "--check", commands=commands, installed=installed)
    assert result.returncode == 1
    assert result.stdout.split() == ["chromium", "libnss3-tools", "libmagic1"]
    assert calls == []


def test_not_root_prints_the_one_command_and_stops(tmp_path):
    result, calls = _run(tmp_path, commands=COMMANDS[1:], installed=DPKG_PACKAGES[1:], uid="1000")
    assert result.returncode == 1
    assert calls == []
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium nginx" in result.stderr


def test_root_updates_once_and_installs_only_what_is_missing(tmp_path):
    result, calls = _run(tmp_path, commands=COMMANDS[:-1], installed=DPKG_PACKAGES[:-1])
    assert result.returncode == 0, result.stderr
    assert calls == ["update -q", "install -y -q --no-install-recommends libnss3-tools libmagic1"]


def test_unknown_option_is_refused(tmp_path):
    result, calls = _run(tmp_path, "--install-everything")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert calls == []


def test_this_machine_has_everything_the_suite_needs():
    # `make test` ran the script before pytest: the real check now finds nothing missing.
    result = subprocess.run(
        ["bash", str(SCRIPT), "--check"], capture_output=True, text=True, timeout=30, env=os.environ.copy()
    )
    assert (result.returncode, result.stdout) == (0, "")
