"""PDFs carry the project's fonts (static/fonts/): the same text whatever the machine has installed.

Each render runs in a fresh process, since fontconfig reads its configuration once per process:
once with the machine's fonts, once with a fontconfig that knows no font at all.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RENDER = """
import json, sys, types
import django
django.setup()
from django.utils import timezone
from dossiers.pdf import render_pdf

ns = types.SimpleNamespace
when = timezone.make_aware(timezone.datetime(2026, 11, 23, 9, 5))
agency = "Ủy ban nhân dân Phường Bến Thành"
context = {
    "agency_name": agency, "parent_agency_name": "Ủy ban nhân dân Thành phố Hồ Chí Minh",
    "agency": ns(name=agency), "issued_at": when, "paid_at": when, "received_at": when,
    "place": "Thành phố Hồ Chí Minh", "code": "000.00.99.T99-261123-0042", "register_number": 42,
    "applicant_name": "Lê Thị Hồng Nhung", "procedure_name": "Đăng ký khai sinh", "procedure_code": "1.001193",
    "documents": [ns(name="Giấy chứng sinh", is_original=True, copies=1)],
    "payment": ns(receipt_number="BL-2026-000042", payer_name="Lê Thị Hồng Nhung", amount=8000, reference="TT42"),
    "dossier": ns(code="000.00.99.T99-261123-0042", procedure=ns(name="Đăng ký khai sinh", code="1.001193")),
    "items": [ns(description="Lệ phí cấp bản sao trích lục", unit_amount=8000, quantity=1, amount=8000)],
    "amount_words": "Tám nghìn đồng", "portal_name": "Cổng Dịch vụ công Tỉnh Demo",
}
out = {}
for name in ("form01", "receipt"):
    path = f"{sys.argv[1]}/{name}.pdf"
    with open(path, "wb") as handle:
        handle.write(render_pdf(f"slips/{name}.html", context))
    out[name] = path
print(json.dumps(out))
"""


def _render(tmp_path: Path, label: str, *, fontconfig: Path | None) -> dict[str, Path]:
    folder = tmp_path / label
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FONTCONFIG_"))}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    if fontconfig is not None:
        env["FONTCONFIG_FILE"] = str(fontconfig)
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(folder)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {name: Path(path) for name, path in json.loads(result.stdout.splitlines()[-1]).items()}


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _fonts(path: Path) -> set[str]:
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pdf-fonts")
    empty = tmp_path / "no-fonts.conf"
    empty.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n"
    )
    # Proof that this fontconfig finds nothing: fc-list (fontconfig's own tool) lists no font.
    listed = subprocess.run(["fc-list"], env={**os.environ, "FONTCONFIG_FILE": str(empty)}, capture_output=True)
    assert listed.stdout == b""
    return _render(tmp_path, "machine", fontconfig=None), _render(tmp_path, "bare", fontconfig=empty)


@pytest.mark.parametrize("name", ["form01", "receipt"])
def test_slip_text_is_the_same_with_and_without_the_machines_fonts(renders, name):
    machine, bare = renders
    text = _text(bare[name])
    assert text == _text(machine[name])
    flat = " ".join(text.split())
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        MOTTO,
        "ỦY BAN NHÂN DÂN PHƯỜNG BẾN THÀNH",
        "Thành phố Hồ Chí Minh, ngày 23 tháng 11 năm 2026",
        "Lê Thị Hồng Nhung",
    ):
        assert phrase in flat, (phrase, flat[:400])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text.splitlines()  # the national heading on one line
    expected = {"form01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "receipt": "Tám nghìn đồng"}[name]
    assert expected in flat


@pytest.mark.parametrize("name", ["form01", "receipt"])
def test_slips_embed_only_the_projects_noto_serif(renders, name):
    machine, bare = renders
    fonts = _fonts(bare[name])
    assert fonts == _fonts(machine[name])
    assert {"Noto-Serif", "Noto-Serif-Bold", "Noto-Serif-Italic"} <= fonts
    assert all(font.startswith("Noto-Serif") for font in fonts), fonts


def test_the_fonts_ship_with_their_licence():
    fonts = ROOT / "static" / "fonts"
    for family in ("NotoSans", "NotoSerif"):
        for style in ("Regular", "Bold", "Italic", "BoldItalic"):
            assert (fonts / f"{family}-{style}.ttf").read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert "SIL Open Font License, Version 1.1" in (fonts / "OFL.txt").read_text()
    assert "fonts-noto-core" in (fonts / "README.md").read_text()
