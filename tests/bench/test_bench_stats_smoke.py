"""`python -m bench --smoke --only stats` rolls up a small database and prints dashboard latencies."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_stats_bench_smoke_prints_latencies_from_the_rollup():
    output = run_smoke("stats", timeout=900)
    assert "== stats" in output
    dossiers = re.search(r"^\s+dossiers\s+([\d,]+)$", output, flags=re.MULTILINE)
    assert dossiers and int(dossiers.group(1).replace(",", "")) >= 2000, output
    assert int(re.search(r"^\s+rollup_rows\s+([\d,]+)$", output, flags=re.MULTILINE).group(1).replace(",", "")) > 0
    rows = re.findall(
        r"^\s+((?:dashboard|public):[\w-]+)\s+([\d,.]+)\s+([\d,.]+)\s+(\d+)\s+(\d+)$", output, flags=re.MULTILINE
    )
    assert {name for name, *_ in rows} >= {"dashboard:this-month", "dashboard:all-days", "public:page"}, output
    for _name, p50, p95, queries, dossier_reads in rows:
        assert 0 < float(p50.replace(",", "")) <= float(p95.replace(",", "")) and int(queries) > 0
        # Answered from the roll-up and the cached live day: no query reads the dossiers.
        assert int(dossier_reads) == 0, output
    assert re.search(r"^\s+\* plan of the dashboard's roll-up read: .*dossiers_dailystat", output, flags=re.MULTILINE)
    assert "dossiers_dossier" not in re.search(r"plan of the dashboard's roll-up read: (.*)", output).group(1)
