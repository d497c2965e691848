"""`python -m bench --smoke --only bulk` assigns dossiers in bulk on a small database and prints the time."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_bulk_bench_smoke_assigns_and_prints_the_time():
    output = run_smoke("bulk")
    assert "== bulk" in output
    # scenario, median s, max s, assigned, rounds, cpu s, SQL statements
    row = re.search(
        r"^\s+bulk assign 10\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+1\s+[\d.]+\s+[\d,]+$", output, flags=re.MULTILINE
    )
    assert row, output
    median, worst, assigned = float(row.group(1)), float(row.group(2)), int(row.group(3))
    assert 0 < median <= worst and assigned == 10
