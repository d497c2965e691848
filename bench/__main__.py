"""Runner: discovers ``bench/bench_*.py``, runs each module's ``run(smoke)`` and prints tables.

Django is set up before any benchmark module is imported, so each imports the project at its
top; the parts that run in a child process start through ``bench.child`` the same way.
"""

import argparse
import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

import django

import bench


def discover() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )


def _cell(value) -> str:
    if isinstance(value, float):
        decimals = 0 if abs(value) >= 1000 else 1 if abs(value) >= 100 else 2
        return f"{value:,.{decimals}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "—" if value is None else str(value)


def format_figures(figures: dict) -> str:
    """Rows of scenarios (values that are dicts) as a table; plain values as name/value lines."""
    notes = figures.get("notes") or []
    rows = {k: v for k, v in figures.items() if isinstance(v, dict)}
    plain = {k: v for k, v in figures.items() if not isinstance(v, dict) and k != "notes"}
    lines = []
    if plain:
        width = max(len(k) for k in plain)
        lines += [f"  {k:<{width}}  {_cell(v)}" for k, v in plain.items()]
    if rows:
        columns: list[str] = []
        for row in rows.values():
            columns += [c for c in row if c not in columns]
        table = [["scenario", *columns]] + [[name, *(_cell(row.get(c)) for c in columns)] for name, row in rows.items()]
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for n, line in enumerate(table):
            cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
            lines.append("  " + "  ".join(cells).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
    lines += [f"  * {note}" for note in notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only proves each benchmark works")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        wanted = [n.removeprefix("bench_").removesuffix(".py") for n in args.only]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            print(f"Unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]

    print(
        f"# {'smoke run' if args.smoke else 'benchmarks'}: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, settings {os.environ['DJANGO_SETTINGS_MODULE']}"
    )
    django.setup()
    failed = []
    for name in names:
        print(f"\n== {name}")
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            figures = module.run(smoke=args.smoke)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        print(format_figures(figures))
        print(f"  ({time.perf_counter() - started:.1f} s)")
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
