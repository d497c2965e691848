"""Accessibility and phone-fit checks the browser tests share (issue 19).

``axe_findings(page)`` injects axe-core (the npm package pinned in ``tests/e2e/axe/``, installed
with ``npm ci`` on first use, as the VNeID tests install their provider) through Playwright and
runs it with the WCAG 2.0/2.1 A and AA rules; it returns the serious and critical violations,
one readable line per rule and element. ``overflow(page)`` is how far the page is wider than
its viewport (a phone must never scroll sideways).

The page's Content-Security-Policy (script-src 'self', enforced in the browser tests) refuses
``add_script_tag(path=...)``, which inlines the file: the script is added by a same-origin URL
instead (``/__axe-core.js``), which Playwright answers from the file without reaching the server.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe-core.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_install() -> None:
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("The accessibility tests need Node.js 20 and npm (apt-get install nodejs npm).")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=True)  # noqa: S603


def axe_findings(page) -> list[str]:
    """The serious and critical WCAG 2.1 AA violations on the page as it is now, readable."""
    axe_install()
    if not getattr(page, "_axe_routed", False):
        page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"))
        page._axe_routed = True
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    lines = []
    for violation in page.evaluate(_RUN, WCAG_TAGS):
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(
                f"{violation['impact']} {violation['id']} ({violation['help']}) at {node['target']}: {summary}"
            )
    return lines


def overflow(page) -> int:
    """Pixels by which the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


_WIDEST = """() => {
  // The outermost elements that stick out: their parent still fits (or is the body).
  const width = window.innerWidth;
  const sticksOut = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 0.5;
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!sticksOut(el) || el.closest(".table-responsive, .visually-hidden")) continue;
    if (el.parentElement && el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
    const classes = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const text = (el.textContent || "").trim().slice(0, 40);
    out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} "${text}" (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
  }
  return out.slice(0, 5);
}"""


def overflow_culprits(page) -> list[str]:
    """The first elements that stick out past the viewport's right edge, to say what to fix."""
    return page.evaluate(_WIDEST)
