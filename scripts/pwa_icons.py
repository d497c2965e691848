"""Draws the installed portal's icons (static/icons/) from the favicon's design: the yellow star
on the red square. Run once after a change of design: `.venv/bin/python scripts/pwa_icons.py`.

The maskable icon keeps the star inside the central 80% circle that launchers may crop to
(https://www.w3.org/TR/appmanifest/#icon-masks); the others have rounded corners like the favicon.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

RED = (166, 27, 27, 255)
YELLOW = (255, 205, 0, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def icon(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges without an SVG renderer
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=RED)
        outer = big * 0.30
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 3 / 16, fill=RED)
        outer = big * 0.40
    draw.polygon(star(big / 2, big / 2 + outer * 0.06, outer), fill=YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
