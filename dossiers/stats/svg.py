"""Charts drawn on the server as SVG for the PDF report (WeasyPrint renders SVG images): no
plotting library, just rectangles and text. Every bar carries its label and its value in text,
so the chart reads without colour; the colours are those of the pages (``charts.STYLES``)."""

import base64
from xml.sax.saxutils import escape

WIDTH = 520
BAR = 14
GAP = 6
LABEL_WIDTH = 190
TOP = 22


def bar_chart_svg(*, title: str, labels: list[str], values: list, unit: str = "", colour: str = "#0b5ed7") -> str:
    """A horizontal bar chart; ``None`` values are written "—" with no bar."""
    known = [v for v in values if v is not None]
    top = max(known, default=0)
    scale_max = 100 if unit == "%" else (top or 1)
    plot = WIDTH - LABEL_WIDTH - 60
    height = TOP + len(labels) * (BAR + GAP) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="Noto Sans" font-size="9">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="12" font-size="11" font-weight="bold">{escape(title)}</text>',
    ]
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + n * (BAR + GAP)
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(f'<text x="0" y="{y + BAR - 3}">{escape(short)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_WIDTH}" y="{y + BAR - 3}">—</text>')
            continue
        width = max(1.0, plot * float(value) / float(scale_max)) if value else 0
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}"/>')
        shown = f"{value:g}{' %' if unit == '%' else ''}".replace(".", ",")
        parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR - 3}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
