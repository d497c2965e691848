"""The visible signature stamp: signer, agency, time and a QR code to ``/verify/``.

pyHanko lays text out with the font's glyph widths in a 1000-units-per-em space, so the stamp
uses the vendored Noto Sans (1000 units per em); DejaVu (2048) comes out mis-spaced. The
vendored copy is split into the Latin, Latin-ext and Vietnamese subsets of the web pages;
they are merged once per process into one TrueType font held in memory.
"""

import io
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from fontTools.merge import Merger
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import QRStampStyle

_SUBSETS = ("latin", "latin-ext", "vietnamese")
# fontTools reports every subsetting step at INFO: one signature would log ~30 lines.
logging.getLogger("fontTools").setLevel(logging.WARNING)
FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "noto-sans" / "files"

# Stamp size in PDF points, and where stamps go on the last page (bottom right, stacking upwards).
STAMP_WIDTH = 250
STAMP_HEIGHT = 72
STAMP_MARGIN = 36


@cache
def stamp_font_bytes() -> bytes:
    merged = Merger().merge([str(FONT_DIR / f"noto-sans-{subset}-400-normal.woff2") for subset in _SUBSETS])
    merged.flavor = None  # plain TrueType: pyHanko embeds the subset it uses
    out = io.BytesIO()
    merged.save(out)
    return out.getvalue()


class NotoSansFactory(FontEngineFactory):
    """pyHanko's glyph accumulator over the in-memory font (its own factory wants a path)."""

    def __init__(self, font_size: int = 7):
        self.font_size = font_size

    def create_font_engine(self, writer, obj_stream=None):
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(stamp_font_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


@cache
def stamp_style() -> QRStampStyle:
    return QRStampStyle(
        stamp_text="%(line1)s\n%(line2)s\n%(line3)s\n%(line4)s",
        text_box_style=TextBoxStyle(font=NotoSansFactory(), font_size=7, leading=9),
        border_width=1,
        background=None,
    )


def stamp_box(*, page_width: float, index: int) -> tuple[float, float, float, float]:
    """The n-th stamp on a page: right-aligned, each one above the previous one."""
    x2 = page_width - STAMP_MARGIN
    y1 = STAMP_MARGIN + index * (STAMP_HEIGHT + 6)
    return (x2 - STAMP_WIDTH, y1, x2, y1 + STAMP_HEIGHT)
