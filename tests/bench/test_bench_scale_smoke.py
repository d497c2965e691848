"""`python -m bench --smoke --only scale`: tracking and filing on one gunicorn process, then
through nginx in front of two, with the ratio printed and the filed codes checked."""

import re

import pytest

from tests.bench.smoke import run_smoke


@pytest.mark.bench
@pytest.mark.xdist_group("bench")
def test_scale_smoke_prints_both_topologies_and_the_ratio():
    output = run_smoke("scale")
    assert "== scale" in output
    section = output.split("== scale", 1)[1]
    for scenario, status in (("tracking", "200"), ("filing", "201")):
        for topology in ("1_process", "nginx_2_processes"):
            row = next(line.split() for line in section.splitlines() if line.split()[:1] == [f"{scenario}_{topology}"])
            assert float(row[1].replace(",", "")) > 0, row
            assert row[-1] == status, row
        ratio = re.search(rf"^\s+{scenario} ratio \(nginx \+ 2 / 1\)\s+([\d.]+)$", section, flags=re.MULTILINE)
        assert ratio and float(ratio.group(1)) > 0, section
    # Two processes behind one balancer still hand out dossier codes without gap or duplicate.
    assert re.search(r"^\s+filed codes\s+no gap, no duplicate$", section, flags=re.MULTILINE), section
