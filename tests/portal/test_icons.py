"""The icon subset (issue 19): every Bootstrap Icons class a template uses has its SVG in
static/css/icons.css (scripts/build_icons.py), and the 134 KB icon font is gone."""

import re
from pathlib import Path

from scripts.build_icons import TARGET, icons_used

ROOT = Path(__file__).resolve().parents[2]


def test_every_icon_used_is_in_the_subset():
    used = icons_used()
    assert "search" in used and "folder2-open" in used  # the scan finds the header's icons
    css = TARGET.read_text(encoding="utf-8")
    defined = set(re.findall(r"^\.bi-([a-z0-9-]+) \{ --bi: url\(\"data:image/svg\+xml,", css, flags=re.M))
    missing = sorted(set(used) - defined)
    assert not missing, f"Run scripts/build_icons.py: no SVG for {missing}"


def test_the_icon_font_is_not_shipped_nor_linked():
    assert not list((ROOT / "static").rglob("bootstrap-icons.woff*"))
    assert "bootstrap-icons.min.css" not in (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert TARGET.stat().st_size < 25_000
