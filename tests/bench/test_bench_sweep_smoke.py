"""`python -m bench --smoke --only sweep` runs the deadline sweep on a small generated database."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_sweep_bench_smoke_finds_exactly_the_newly_due_dossiers_once():
    output = run_smoke("sweep")
    assert "== sweep" in output
    newly = re.search(r"^\s+newly due\s+(\d+)$", output, flags=re.MULTILINE)
    assert newly and int(newly.group(1)) > 0, output
    first = re.search(r"^\s+sweep\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)$", output, flags=re.MULTILINE)
    again = re.search(r"^\s+sweep again\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)$", output, flags=re.MULTILINE)
    assert first and again, output
    assert int(first.group(2)) == int(newly.group(1))  # each newly due dossier marked once
    assert (int(again.group(2)), int(again.group(3))) == (0, 0)
    assert re.search(r"^\s+peak resident MB\s+[\d.]+$", output, flags=re.MULTILINE)
