"""`python -m bench --smoke --only worklist` fills a small database and prints worklist latencies."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_worklist_bench_smoke_prints_latencies_and_plans():
    output = run_smoke("worklist")
    assert "== worklist" in output
    dossiers = re.search(r"^\s+dossiers\s+([\d,]+)$", output, flags=re.MULTILINE)
    assert dossiers and int(dossiers.group(1).replace(",", "")) >= 2000, output
    rows = re.findall(r"^\s+(leader:[\w-]+:(?:page|api))\s+([\d,.]+)\s+([\d,.]+)\s+(\d+)", output, flags=re.MULTILINE)
    assert {name for name, *_ in rows} >= {"leader:to-assign:page", "leader:to-assign:api", "leader:overdue:page"}
    for _name, p50, p95, queries in rows:
        assert 0 < float(p50.replace(",", "")) <= float(p95.replace(",", "")) and int(queries) > 0
    assert re.search(r"^\s+\* plan of overdue: \S*dossier_agency_(?:status|active)_due", output, flags=re.MULTILINE), (
        output
    )
