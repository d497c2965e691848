"""`python -m bench --smoke --only signing` signs a couple of PDFs and prints signatures per second."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_signing_bench_smoke_prints_signatures_per_second():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", "signing"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "== signing" in result.stdout
    match = re.search(r"^\s+signatures_per_second\s+([\d,.]+)$", result.stdout, flags=re.MULTILINE)
    assert match, result.stdout
    assert float(match.group(1).replace(",", "")) > 0
    assert re.search(r"^\s+signatures\s+3$", result.stdout, flags=re.MULTILINE)
