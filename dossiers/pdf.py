"""PDF rendering of slips with WeasyPrint: our templates, our fonts, no network.

Rendering takes a few hundred milliseconds, so it runs in Celery's `pdf` queue, never
inside a request. Fonts and images are read only from the project's static folder.
"""

import base64
import io
from pathlib import Path
from urllib.parse import unquote

import segno
from django.conf import settings
from django.template.loader import render_to_string

from portal.metrics import PDF_RENDER_SECONDS, observe

STATIC_ROOT_FOR_PDF = Path(settings.BASE_DIR) / "static"


def qr_data_uri(text: str, *, scale: int = 4) -> str:
    """A QR code (segno) as an inline SVG data URI, ready for an <img src>."""
    svg = segno.make(text, error="m").svg_inline(scale=scale, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _local_only_fetcher(url_fetcher_class):
    class LocalOnlyFetcher(url_fetcher_class):
        """Only data: URIs and files under static/ — a slip never reaches the network."""

        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(unquote(url.removeprefix("file://").split("?")[0])).resolve()
                if not path.is_relative_to(STATIC_ROOT_FOR_PDF.resolve()):
                    raise ValueError(f"PDF rendering may not read {url!r}")
            elif not url.startswith("data:"):
                raise ValueError(f"PDF rendering may not fetch {url!r}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols=("file", "data"))


def render_pdf(template_name: str, context: dict, *, attachments: tuple[tuple[str, bytes], ...] = ()) -> bytes:
    """The template rendered to PDF; ``attachments`` (name, bytes) are embedded as files."""
    # WeasyPrint loads Pango and its fonts through cffi (about 0.6 s and tens of MB): only the
    # processes that render a PDF pay for it, not every web process that imports the slips.
    import weasyprint  # noqa: PLC0415 - heavy native library, needed only where PDFs are rendered

    html = render_to_string(template_name, context)
    with observe(PDF_RENDER_SECONDS, template=template_name):
        return weasyprint.HTML(
            string=html,
            base_url=str(STATIC_ROOT_FOR_PDF) + "/",
            url_fetcher=_local_only_fetcher(weasyprint.URLFetcher),
        ).write_pdf(
            attachments=[weasyprint.Attachment(file_obj=io.BytesIO(data), name=name) for name, data in attachments]
        )
