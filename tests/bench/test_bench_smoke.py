"""`python -m bench --smoke` runs every benchmark end to end and prints real figures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _row(output: str, scenario: str, after: str = "== http") -> list[str]:
    for line in output.split(after, 1)[-1].splitlines():
        cells = line.split()
        if cells and cells[0] == scenario:
            return cells
    raise AssertionError(f"no {scenario} row in:\n{output}")


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_bench_smoke_prints_the_ceiling_figures():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout
    assert "== http" in output
    header = _row(output, "scenario")
    assert header[1:5] == ["req/s", "p50", "ms", "p95"]  # "p50 ms" splits in two cells
    for scenario in ("ceiling_constant", "ceiling_pk_read"):
        cells = _row(output, scenario)
        rps, p50, p95, p99, ratio = (_number(c) for c in cells[1:6])
        assert rps > 0 and p50 > 0 and p95 >= p50 and p99 >= p95, cells
        assert ratio > 0
        assert cells[-1] == "200"
    assert _number(_row(output, "ceiling_pk_read")[5]) == 1.0
    # healthz runs too; its status is reported whatever it is.
    assert re.search(r"^\s+healthz\s+[\d,.]+", output, flags=re.MULTILINE)
    # The portal's scenarios, against a small generated database.
    for scenario, status in (
        ("tracking", "200"),
        ("tracking_spread", "200"),
        ("procedures_search", "200"),
        ("worklist", "200"),
        ("filing", "201"),
    ):
        cells = _row(output, scenario)
        assert _number(cells[1]) > 0 and cells[-1] == status, cells
    assert re.search(r"^\s+filed codes\s+no gap, no duplicate$", output, flags=re.MULTILINE), output
    assert re.search(r"^\s+worker RSS MB\s+\d+ / \d+$", output, flags=re.MULTILINE), output
    assert re.search(r"^\s+\* target tracking .*: (MET|MISSED)", output, flags=re.MULTILINE), output
    # Growth: the same three scenarios at two sizes, side by side.
    assert "== growth" in output
    growth = _row(output, "tracking", after="== growth")
    assert len(growth) >= 5 and all(_number(c) > 0 for c in growth[1:5]), growth


def test_bench_only_rejects_an_unknown_name():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nonexistent"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "nonexistent" in result.stderr
    assert "http" in result.stderr
