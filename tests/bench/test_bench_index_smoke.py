"""`python -m bench --smoke --only index` generates monthly roll-up rows and prints the index's latencies."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_index_bench_smoke_prints_the_province_figure():
    output = run_smoke("index", timeout=600)
    assert "== index" in output
    rows = re.search(r"^\s+monthly_rows\s+([\d,]+)$", output, flags=re.MULTILINE)
    assert rows and int(rows.group(1).replace(",", "")) == 20 * 12 * 3, output
    dossiers = re.search(r"^\s+dossiers\s+([\d,]+)$", output, flags=re.MULTILINE)
    assert dossiers and int(dossiers.group(1).replace(",", "")) > 15_000, output
    for name in ("index:province", "index:one-agency", "index:every-agency", "api:public-index"):
        median = re.search(rf"^\s+{re.escape(name)} p50_ms\s+([\d,.]+)$", output, flags=re.MULTILINE)
        assert median and float(median.group(1).replace(",", "")) > 0, output
    queries = re.search(r"^\s+province_queries\s+(\d+)$", output, flags=re.MULTILINE)
    assert queries and int(queries.group(1)) <= 4, output
