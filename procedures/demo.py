"""Demo catalogue for ``seed_demo``: real procedures loaded through the import service.

The data lives in ``procedures/fixtures/demo_catalogue.json`` in the import format, so every
``make run`` exercises the import. Importing the same file again changes nothing.
"""

from pathlib import Path

from procedures.services import catalogue_import_json

DEMO_CATALOGUE = Path(__file__).resolve().parent / "fixtures" / "demo_catalogue.json"


def seed(*, stdout) -> None:
    result = catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
    stdout.write(f"Danh mục thủ tục / catalogue: {result.summary()}")
