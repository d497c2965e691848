"""`make test` runs ``-n 2 --dist loadgroup``: the tests of one ``xdist_group`` (the browser
tests, the real Celery workers, the PostgreSQL replica pair, the benchmarks' smoke runs) must
run on one worker, one after the other. pytest-xdist groups them by a suffix it adds to each
test's id; with a pytest it does not support (9.2 stores the id elsewhere) the suffix is lost
silently and the groups are spread over both workers, which is how two replica pairs once raced.
"""

import pytest


@pytest.mark.xdist_group("self-check")
def test_the_xdist_group_reaches_the_scheduler(request):
    if not hasattr(request.config, "workerinput"):
        return  # one process (`pytest -n 0`): nothing to schedule; `make test` is the case checked
    assert request.config.getvalue("loadgroup"), "the suite runs with `--dist loadgroup` (Makefile)"
    assert request.node.nodeid.endswith("@self-check"), request.node.nodeid
