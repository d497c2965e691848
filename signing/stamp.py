"""The visible signature stamp: signer, agency, time and a QR code to ``/verify/``.

pyHanko lays text out with the font's glyph widths in a 1000-units-per-em space, so the stamp
uses the project's Noto Sans (``static/fonts/``, 1000 units per em); DejaVu (2048) comes out
mis-spaced. The font is read once per process and held in memory.
"""

import io
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import QRStampStyle

# fontTools (pyHanko's subsetter) reports every subsetting step at INFO: ~30 lines a signature.
logging.getLogger("fontTools").setLevel(logging.WARNING)
STAMP_FONT = Path(settings.BASE_DIR) / "static" / "fonts" / "NotoSans-Regular.ttf"

# Stamp size in PDF points, and where stamps go on the last page (bottom right, stacking upwards).
STAMP_WIDTH = 250
STAMP_HEIGHT = 72
STAMP_MARGIN = 36


@cache
def stamp_font_bytes() -> bytes:
    return STAMP_FONT.read_bytes()  # pyHanko embeds only the glyphs a stamp uses


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
