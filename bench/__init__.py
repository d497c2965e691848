"""Benchmarks, run by `make bench` (``python -m bench [--smoke] [--only NAME]``).

Each ``bench/bench_<name>.py`` module exposes ``run(smoke: bool) -> dict`` and returns its
figures: either flat (``{"per_second": 1234, ...}``, printed as one row of name/value pairs)
or one row per scenario (``{"scenario": {"req/s": 1234.5, "p95 ms": 3.2}, ...}``, printed
as a table). An optional ``"notes"`` list of strings is printed under the table.
``smoke=True`` must finish in a few seconds: the test suite runs it to keep the code alive.
"""
